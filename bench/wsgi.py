import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
application = get_wsgi_application()

from outlet.common.warm_up import warm_up  # noqa: E402  # as outlet/wsgi.py does

warm_up()
