from django.http import JsonResponse
from django.views.defaults import page_not_found


def not_found(request, exception=None):
    """A 404 in the API's own error body for /api/ paths; the portal's page everywhere else."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": "Not found."}, status=404)
    return page_not_found(request, exception)
