"""The connection standard: the verdict's reasons, the versions in the admin, the read-only page.

Verdicts are judged on ProbeResult values built by hand (pure logic, no stream needed); the checks
against real streams are in tests/test_checks.py.
"""

import datetime

import pytest
from django.utils import timezone, translation

from cameras.choices import Zone
from cameras.models import ConnectionStandard
from cameras.probe import ProbeResult
from cameras.standard import MESSAGES, evaluate, reason_text, reasons_text
from tests import factories

pytestmark = pytest.mark.django_db


def played(**facts):
    values = {
        "ok": True,
        "codec": "h264",
        "width": 1920,
        "height": 1080,
        "fps": 25.0,
        "time_to_first_frame_ms": 800,
        "keyframe_interval_s": 1.0,
        "bitrate_kbps": 2000.0,
        "duration_ms": 2800,
    }
    values.update(facts)
    return ProbeResult(**values)


def failed(kind, duration_ms=120):
    return ProbeResult(ok=False, error_kind=kind, error_message="x", duration_ms=duration_ms)


def english(verdict):
    with translation.override("en"):
        return verdict.texts()


@pytest.fixture
def standard():
    return ConnectionStandard.current()


def test_the_first_version_has_the_guidance_defaults(standard):
    assert standard.version == 1 and standard.is_active
    assert standard.codecs == ["h264", "hevc"]
    assert (standard.min_width, standard.min_height) == (1280, 720)
    assert standard.min_fps == 10 and standard.max_first_frame_s == 5


@pytest.mark.parametrize("codec", ["h264", "hevc"])
def test_a_good_stream_is_eligible(standard, codec):
    verdict = evaluate(played(codec=codec), standard, url="rtsp://10.0.0.5/stream1")
    assert verdict.eligible and verdict.reasons == () and verdict.reachable
    assert verdict.standard_version == 1


def test_each_shortfall_is_a_reason_a_facility_can_act_on(standard):
    verdict = evaluate(
        played(codec="mjpeg", width=640, height=480, fps=7.5, time_to_first_frame_ms=6400,
               keyframe_interval_s=4.0),
        standard,
    )
    assert not verdict.eligible and verdict.reachable
    assert english(verdict) == [
        "video codec Motion JPEG is not accepted; set the camera to H.264 or H.265 (HEVC)",
        "resolution 640x480 is below the required 1280x720; set the camera's stream to at least "
        "1280x720",
        "frame rate 7.5 frames/s is below the required 10 frames/s; raise the frame rate in the "
        "camera's video settings",
        "the first picture took 6.4 s, more than the allowed 5 s (a keyframe every 4 s; set a "
        "keyframe/I-frame interval of 1 to 2 s)",
    ]


def test_reasons_are_in_vietnamese_by_default(standard):
    verdict = evaluate(played(width=640, height=480, fps=7.5), standard)
    text = reasons_text(verdict.as_json())
    assert text == (
        "Độ phân giải 640x480 thấp hơn mức yêu cầu 1280x720; hãy đặt luồng của camera ở ít nhất "
        "1280x720; tốc độ khung hình 7,5 khung hình/giây thấp hơn mức yêu cầu 10 khung hình/giây; "
        "hãy tăng tốc độ khung hình trong phần cài đặt video của camera."
    )


def test_a_resolution_is_judged_on_both_sides(standard):
    # 1280x600 (wide, not tall enough) fails; 1280x720 exactly passes.
    assert not evaluate(played(width=1280, height=600), standard).eligible
    assert evaluate(played(width=1280, height=720), standard).eligible


def test_unknown_figures_are_reasons_not_passes(standard):
    verdict = evaluate(played(width=None, height=None, fps=None), standard)
    assert not verdict.eligible
    assert english(verdict) == [
        "the picture size could not be read from the stream",
        "the frame rate could not be measured (at least 10 frames/s is required)",
    ]


def test_scheme_outside_the_standard(standard):
    standard.allowed_schemes = "rtsps"
    verdict = evaluate(played(), standard, url="rtsp://10.0.0.5/stream1")
    assert english(verdict) == [
        "the address starts with rtsp://, which the standard does not accept (accepted: rtsps://)"
    ]


@pytest.mark.parametrize(
    "kind, start",
    [
        ("unauthorized", "the camera refused the user name or password"),
        ("forbidden", "the camera refused access to this stream (RTSP 403)"),
        ("not_found", "the camera has no stream at this address (RTSP 404)"),
        ("server_error", "the camera answered with a server error"),
        ("dns", "the camera's host name cannot be found"),
        ("timeout", "the camera did not answer in time"),
        ("no_video", "no video arrived from the stream"),
        ("invalid", "the stream could not be read"),
    ],
)
def test_failures_are_ineligible_with_their_reason(standard, kind, start):
    verdict = evaluate(failed(kind), standard, url="rtsp://10.0.0.5/stream1")
    assert not verdict.eligible and not verdict.reachable and verdict.conclusive
    assert verdict.error_kind == kind
    assert english(verdict)[0].startswith(start)


def test_refused_names_the_default_port(standard):
    verdict = evaluate(failed("refused"), standard, url="rtsp://cam.example.vn/live")
    assert english(verdict)[0].startswith("the camera refused the connection on port 554")


def test_busy_is_no_verdict(standard):
    verdict = evaluate(failed("busy"), standard)
    assert not verdict.conclusive


def test_refused_address_keeps_the_policy_message(standard):
    verdict = evaluate(failed("invalid"), standard, refusal="The stream address leads to 127.0.0.1")
    assert verdict.error_kind == "denied"
    assert english(verdict) == ["The stream address leads to 127.0.0.1"]


def test_unknown_reason_code_is_shown_as_is():
    assert reason_text({"code": "something_new"}) == "something_new"


# A reason of every code with all its figures, as evaluate() and the sweep store them, and a figure
# its sentence must show in either language.
EVERY_REASON = {
    "resolution": ({"width": 640, "height": 480, "min_width": 1280, "min_height": 720}, "640x480"),
    "resolution_unknown": ({}, ""),
    "fps": ({"fps": 7, "min_fps": 10}, "7"),
    "fps_unknown": ({"min_fps": 12}, "12"),
    "codec": ({"codec": "mjpeg", "allowed": "h264,hevc"}, "Motion JPEG"),
    "first_frame": ({"seconds": 6, "max_seconds": 5, "keyframe_interval": 4}, "6"),
    "scheme": ({"scheme": "http", "allowed": "rtsp,rtsps"}, "http://"),
    "unauthorized": ({}, ""),
    "forbidden": ({}, ""),
    "not_found": ({}, ""),
    "busy": ({}, ""),
    "server_error": ({}, ""),
    "refused": ({"port": 8554}, "8554"),
    "dns": ({}, ""),
    "timeout": ({"seconds": 3.2}, ""),
    "no_video": ({}, ""),
    "denied": ({}, ""),
    "redirect": ({"host": "cam.example.vn"}, "cam.example.vn"),
    "invalid": ({}, ""),
    "crashed": ({"count": 3}, "3"),
}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_reason_code_reads_as_a_sentence_in_both_languages(code):
    figures, shown = EVERY_REASON[code]
    reason = {"code": code, **figures}
    with translation.override("en"):
        english = reason_text(reason)
    with translation.override("vi"):
        vietnamese = reason_text(reason)
    assert vietnamese != english
    for text in (english, vietnamese):
        assert "%" not in text and shown in text


@pytest.mark.parametrize(
    "reason, shown",
    [
        ({"code": "refused"}, "RTSP"),
        ({"code": "redirect"}, ""),
        ({"code": "first_frame", "seconds": 6, "max_seconds": 5}, "6"),
        ({"code": "denied", "detail": "The stream address leads to 127.0.0.1"}, "127.0.0.1"),
    ],
)
def test_a_reason_without_its_optional_figure_still_reads_in_both_languages(reason, shown):
    with translation.override("en"):
        english = reason_text(reason)
    with translation.override("vi"):
        vietnamese = reason_text(reason)
    for text in (english, vietnamese):
        assert "%" not in text and shown in text
    assert (vietnamese != english) == (reason["code"] != "denied")


# --------------------------------------------------------------------------
# Versions in the admin


def _rules(**changes):
    data = {
        "codecs": ["h264", "hevc"],
        "schemes": ["rtsp", "rtsps"],
        "min_width": 1280,
        "min_height": 720,
        "min_fps": 10,
        "max_first_frame_s": 5,
        "note": "",
    }
    data.update(changes)
    return data


def test_editing_the_standard_makes_a_new_active_version(admin_client_vi, superuser, standard):
    camera = factories.camera()
    camera.write_state(
        verdict_standard=standard, next_check_at=timezone.now() + datetime.timedelta(days=1)
    )
    url = f"/admin/cameras/connectionstandard/{standard.pk}/change/"
    response = admin_client_vi.post(url, _rules(min_fps=15, note="Theo công văn mới"))
    assert response.status_code == 302
    assert ConnectionStandard.objects.count() == 2
    new = ConnectionStandard.current()
    assert (new.version, new.min_fps, new.created_by) == (2, 15, superuser)
    standard.refresh_from_db()
    assert not standard.is_active and standard.min_fps == 10  # history is kept as it was
    # Cameras judged by the old version are due for a check.
    camera.refresh_from_db()
    assert camera.state.next_check_at is None


def test_a_note_alone_does_not_make_a_version(admin_client_vi, standard):
    url = f"/admin/cameras/connectionstandard/{standard.pk}/change/"
    admin_client_vi.post(url, _rules(note="Giải thích thêm"))
    assert ConnectionStandard.objects.count() == 1
    standard.refresh_from_db()
    assert standard.note == "Giải thích thêm"


def test_a_standard_without_codec_is_refused(admin_client_vi, standard):
    url = f"/admin/cameras/connectionstandard/{standard.pk}/change/"
    response = admin_client_vi.post(url, _rules(codecs=[]))
    assert response.status_code == 200
    assert ConnectionStandard.objects.count() == 1


def test_an_old_version_can_be_put_back_in_force(admin_client_vi, standard):
    admin_client_vi.post(
        f"/admin/cameras/connectionstandard/{standard.pk}/change/", _rules(min_fps=20)
    )
    assert ConnectionStandard.current().version == 2
    # The old version is read-only history...
    response = admin_client_vi.post(
        f"/admin/cameras/connectionstandard/{standard.pk}/change/", _rules(min_fps=30)
    )
    assert response.status_code == 403
    # ...that can be put back in force.
    admin_client_vi.post(
        "/admin/cameras/connectionstandard/",
        {"action": "activate_selected", "_selected_action": [standard.pk]},
    )
    assert ConnectionStandard.current() == standard
    assert ConnectionStandard.objects.filter(is_active=True).count() == 1


def test_only_national_administrators_see_the_standard_in_the_admin(client):
    client.force_login(factories.province_user("tinh01", "01"))
    assert client.get("/admin/cameras/connectionstandard/").status_code == 403


# --------------------------------------------------------------------------
# The read-only page

PAGE = "/cameras/standard/"


def _user(django_user_model, who):
    if who == "anonymous":
        return None
    if who == "province_viewer":
        return factories.province_user(who, "79", "view_province", is_staff=False)
    if who == "facility_manager":
        return factories.facility_manager(who, factories.facility("01"))
    if who == "national_official":
        return factories.national_official(who)
    return django_user_model.objects.create_user(who, password="x")


@pytest.mark.parametrize(
    "who, status",
    [
        ("anonymous", 302),
        ("no_grant", 403),
        ("province_viewer", 200),
        ("facility_manager", 200),
        ("national_official", 200),
    ],
)
def test_who_reads_the_standard_page(client, django_user_model, who, status):
    user = _user(django_user_model, who)
    if user is not None:
        client.force_login(user)
    response = client.get(PAGE)
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert "Tiêu chuẩn kết nối" in page
        assert "1280x720" in page
        assert "H.264" in page and "H.265 (HEVC)" in page
        for _value, label in Zone.choices:
            assert str(label) in page


def test_the_page_follows_the_active_version_and_the_language(client, django_user_model):
    user = _user(django_user_model, "province_viewer")
    client.force_login(user)
    current = ConnectionStandard.current()
    newer = ConnectionStandard.objects.create(
        version=current.version + 1, min_width=1920, min_height=1080, min_fps=15
    )
    newer.activate()
    client.cookies.load({"django_language": "en"})
    page = client.get(PAGE).content.decode()
    assert "1920x1080 pixels" in page
    assert "15 frames per second" in page
    assert "Version 2" in page
    # Registry data is never on this page.
    camera = factories.camera(name="Camera cổng chính")
    assert camera.name not in client.get(PAGE).content.decode()
