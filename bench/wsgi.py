import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("DATABASE_POOL", "true")  # as outlet/wsgi.py: a web process's threads share a pool
application = get_wsgi_application()

from outlet.common.warm_up import warm_up  # noqa: E402  # as outlet/wsgi.py does

warm_up()
