"""Error pages render inside the layout with a sentence that says what happened and what to do."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_member_opening_the_queue_reads_a_403_in_the_layout(client, bob, alice):
    client.force_login(bob)
    response = client.get(reverse("tickets:queue"))
    assert response.status_code == 403
    page = response.content.decode()
    assert 'aria-label="Main navigation"' in page and 'data-testid="error-page"' in page
    assert "This page is not available to you" in page
    assert "Alice Acme" in page and "alice@acme.test" in page


def test_404_is_in_the_layout_and_the_api_keeps_its_json(client, alice):
    client.force_login(alice)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'aria-label="Main navigation"' in page and "We cannot find that page" in page
    assert client.get("/api/v1/no-such-thing/").json()["code"] == "not_found"


def test_400_and_500_pages_render_in_the_layout(rf, alice):
    from config import views

    request = rf.get("/tickets/")
    request.user = alice
    assert "We could not read that request" in views.bad_request(request).content.decode()
    page = views.server_error(request).content.decode()
    assert "Something went wrong on our side" in page and 'aria-label="Main navigation"' in page


def test_500_answers_even_when_the_layout_cannot_render(rf, monkeypatch):
    from config import views

    request = rf.get("/")

    def broken(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(views, "render", broken)
    response = views.server_error(request)
    assert response.status_code == 500 and "Something went wrong on our side" in response.content.decode()


def test_a_request_refused_before_sign_in_is_known_gets_the_400_page(client):
    """Too many files is refused while the request is read, before the session says who is asking."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    files = [SimpleUploadedFile(f"f{n}.txt", b"x") for n in range(25)]
    response = client.post(reverse("portal:kb"), {"attachments": files})
    assert response.status_code == 400
    assert "<nav" in response.content.decode()
