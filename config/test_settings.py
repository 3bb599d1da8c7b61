"""Settings of the test suite: the product's one settings module, with what the tests need set explicitly.

``DEBUG`` defaults to production behaviour when it is unset; the suite runs with the development defaults
(demo password, plain-http and local webhook receivers, no HTTPS redirect) unless the environment says otherwise.
Processes the tests start inherit the variable; tests of production behaviour set ``DEBUG=0`` themselves.
"""

import os

os.environ.setdefault("DEBUG", "1")

from config.settings import *  # noqa: E402, F403
