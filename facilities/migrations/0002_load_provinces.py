"""The 63 provinces of 2021, as the reference list (facilities/data/provinces_2021.csv) read when
this migration was written.

The rows and the loader are copied here, not imported from the app: a later change of the list or of
facilities/provinces.py must not change what this migration did to an existing database.
"""

from django.db import migrations

# code, Vietnamese name, English name, region, operator
PROVINCES_2021 = (
    ("01", "Hà Nội", "Ha Noi", "north", "viettel"),
    ("02", "Hà Giang", "Ha Giang", "north", "viettel"),
    ("04", "Cao Bằng", "Cao Bang", "north", "viettel"),
    ("06", "Bắc Kạn", "Bac Kan", "north", "viettel"),
    ("08", "Tuyên Quang", "Tuyen Quang", "north", "viettel"),
    ("10", "Lào Cai", "Lao Cai", "north", "viettel"),
    ("11", "Điện Biên", "Dien Bien", "north", "viettel"),
    ("12", "Lai Châu", "Lai Chau", "north", "viettel"),
    ("14", "Sơn La", "Son La", "north", "viettel"),
    ("15", "Yên Bái", "Yen Bai", "north", "viettel"),
    ("17", "Hoà Bình", "Hoa Binh", "north", "viettel"),
    ("19", "Thái Nguyên", "Thai Nguyen", "north", "viettel"),
    ("20", "Lạng Sơn", "Lang Son", "north", "viettel"),
    ("22", "Quảng Ninh", "Quang Ninh", "north", "viettel"),
    ("24", "Bắc Giang", "Bac Giang", "north", "viettel"),
    ("25", "Phú Thọ", "Phu Tho", "north", "viettel"),
    ("26", "Vĩnh Phúc", "Vinh Phuc", "north", "viettel"),
    ("27", "Bắc Ninh", "Bac Ninh", "north", "viettel"),
    ("30", "Hải Dương", "Hai Duong", "north", "viettel"),
    ("31", "Hải Phòng", "Hai Phong", "north", "viettel"),
    ("33", "Hưng Yên", "Hung Yen", "north", "viettel"),
    ("34", "Thái Bình", "Thai Binh", "north", "viettel"),
    ("35", "Hà Nam", "Ha Nam", "north", "viettel"),
    ("36", "Nam Định", "Nam Dinh", "north", "viettel"),
    ("37", "Ninh Bình", "Ninh Binh", "north", "viettel"),
    ("38", "Thanh Hóa", "Thanh Hoa", "central", "viettel"),
    ("40", "Nghệ An", "Nghe An", "central", "viettel"),
    ("42", "Hà Tĩnh", "Ha Tinh", "central", "viettel"),
    ("44", "Quảng Bình", "Quang Binh", "central", "viettel"),
    ("45", "Quảng Trị", "Quang Tri", "central", "viettel"),
    ("46", "Thừa Thiên Huế", "Thua Thien Hue", "central", "viettel"),
    ("48", "Đà Nẵng", "Da Nang", "central", "vnpt"),
    ("49", "Quảng Nam", "Quang Nam", "central", "vnpt"),
    ("51", "Quảng Ngãi", "Quang Ngai", "central", "vnpt"),
    ("52", "Bình Định", "Binh Dinh", "central", "vnpt"),
    ("54", "Phú Yên", "Phu Yen", "central", "vnpt"),
    ("56", "Khánh Hòa", "Khanh Hoa", "central", "vnpt"),
    ("58", "Ninh Thuận", "Ninh Thuan", "central", "vnpt"),
    ("60", "Bình Thuận", "Binh Thuan", "central", "vnpt"),
    ("62", "Kon Tum", "Kon Tum", "central", "vnpt"),
    ("64", "Gia Lai", "Gia Lai", "central", "vnpt"),
    ("66", "Đắk Lắk", "Dak Lak", "central", "vnpt"),
    ("67", "Đắk Nông", "Dak Nong", "central", "vnpt"),
    ("68", "Lâm Đồng", "Lam Dong", "central", "vnpt"),
    ("70", "Bình Phước", "Binh Phuoc", "south", "vnpt"),
    ("72", "Tây Ninh", "Tay Ninh", "south", "vnpt"),
    ("74", "Bình Dương", "Binh Duong", "south", "vnpt"),
    ("75", "Đồng Nai", "Dong Nai", "south", "vnpt"),
    ("77", "Bà Rịa - Vũng Tàu", "Ba Ria - Vung Tau", "south", "vnpt"),
    ("79", "Hồ Chí Minh", "Ho Chi Minh City", "south", "vnpt"),
    ("80", "Long An", "Long An", "south", "vnpt"),
    ("82", "Tiền Giang", "Tien Giang", "south", "vnpt"),
    ("83", "Bến Tre", "Ben Tre", "south", "vnpt"),
    ("84", "Trà Vinh", "Tra Vinh", "south", "vnpt"),
    ("86", "Vĩnh Long", "Vinh Long", "south", "vnpt"),
    ("87", "Đồng Tháp", "Dong Thap", "south", "vnpt"),
    ("89", "An Giang", "An Giang", "south", "vnpt"),
    ("91", "Kiên Giang", "Kien Giang", "south", "vnpt"),
    ("92", "Cần Thơ", "Can Tho", "south", "vnpt"),
    ("93", "Hậu Giang", "Hau Giang", "south", "vnpt"),
    ("94", "Sóc Trăng", "Soc Trang", "south", "vnpt"),
    ("95", "Bạc Liêu", "Bac Lieu", "south", "vnpt"),
    ("96", "Cà Mau", "Ca Mau", "south", "vnpt"),
)


def forwards(apps, schema_editor):
    Province = apps.get_model("facilities", "Province")
    for code, name, name_en, region, operator in PROVINCES_2021:
        Province.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "region": region, "operator": operator},
        )


class Migration(migrations.Migration):
    dependencies = [("facilities", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
