"""A small demo registry: a few facilities in three provinces, each with cameras."""

from django.core.management.base import BaseCommand
from django.db import transaction

from cameras.choices import Zone
from cameras.models import Camera
from facilities.choices import FacilityKind, FacilityStatus
from facilities.models import Facility, Province

DEMO = {
    "01": [
        ("Khu cách ly tập trung Ký túc xá Pháp Vân", FacilityKind.CIVIL, FacilityStatus.ACTIVE, 4),
        ("Khu cách ly Trường Quân sự Thủ đô", FacilityKind.MILITARY, FacilityStatus.ACTIVE, 3),
        ("Khách sạn cách ly Mường Thanh", FacilityKind.HOTEL, FacilityStatus.PREPARING, 2),
    ],
    "48": [
        ("Khu cách ly Đại học Đà Nẵng", FacilityKind.CIVIL, FacilityStatus.ACTIVE, 3),
        ("Bệnh viện dã chiến Hòa Vang", FacilityKind.HOSPITAL, FacilityStatus.ACTIVE, 2),
    ],
    "79": [
        ("Khu cách ly Ký túc xá Đại học Quốc gia", FacilityKind.CIVIL, FacilityStatus.ACTIVE, 4),
        ("Khu cách ly Khu công nghiệp Tân Bình", FacilityKind.INDUSTRIAL, FacilityStatus.CLOSED, 1),
    ],
}
ZONES = [Zone.GATE, Zone.CORRIDOR, Zone.YARD, Zone.RECEPTION]


class Command(BaseCommand):
    help = "Load a small demo registry (idempotent): facilities in three provinces with cameras."

    @transaction.atomic
    def handle(self, *args, **options):
        facilities = cameras = 0
        for code, rows in DEMO.items():
            province = Province.objects.get(code=code)
            for index, (name, kind, status, n_cameras) in enumerate(rows, start=1):
                facility, created = Facility.objects.get_or_create(
                    province=province,
                    name=name,
                    defaults={
                        "kind": kind,
                        "status": status,
                        "planned_cameras": n_cameras + 1,
                        "district": "",
                        "focal_name": "Nguyễn Văn An",
                        "focal_title": "Trưởng ban quản lý",
                        "focal_phone": "0912 345 678",
                        "focal_email": f"bqt{index}.{code}@example.vn",
                    },
                )
                facilities += created
                for n in range(n_cameras):
                    _camera, created = Camera.objects.get_or_create(
                        facility=facility,
                        name=f"Camera {n + 1:02d}",
                        defaults={
                            "zone": ZONES[n % len(ZONES)],
                            "stream_url": f"rtsp://10.{int(code)}.{index}.{n + 10}:554/stream1",
                            "username": "viewer",
                            "password": f"demo-{code}-{index}-{n}",
                            "vendor": "Hikvision",
                            "model": "DS-2CD1023G0E",
                        },
                    )
                    cameras += created
        self.stdout.write(f"Demo registry: {facilities} facilities and {cameras} cameras created.")
