"""The web page served by ``datamorph serve`` at ``/``: ask, watch, check, browse, overview.

Server-rendered Jinja2 templates (``templates/``) with one small script and one stylesheet of our
own (``static/``): nothing is fetched from the internet. ``routes.py`` holds the pages and form
actions, ``auth.py`` the login cookie and CSRF checks, ``views.py`` what the pages show (built from
the API's services, never through HTTP).
"""
