from reunify.portal.tests.factories import attorney, documents_folder, okafor, rivers

__all__ = ["attorney", "documents_folder", "okafor", "rivers"]
