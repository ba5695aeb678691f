import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outlet.settings")
application = get_wsgi_application()

from outlet.common.warm_up import warm_up  # noqa: E402  # needs the settings and apps that the line above set up

warm_up()  # before gunicorn's worker takes its first connection (outlet/common/warm_up.py)
