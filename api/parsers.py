"""Request bodies of the API are JSON (the default parser of REST_FRAMEWORK).

Only endpoints that take a file accept multipart as well; they say so with ``parser_classes = UPLOAD_PARSERS``
(JSON first, so that the schema offers JSON first where the file is optional).
"""

from rest_framework.parsers import JSONParser, MultiPartParser

UPLOAD_PARSERS = [JSONParser, MultiPartParser]
