"""Vietnamese first: the language is the one chosen with the language menu, else Vietnamese.

Django's LocaleMiddleware would follow the browser's Accept-Language, and most browsers here
(and every browser in a Telecommunications Department office set up in English) send en-US:
the portal would greet Vietnamese officials in English. Only an explicit choice switches.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class VietnameseFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        codes = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in codes else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
