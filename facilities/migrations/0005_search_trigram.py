import portal.search
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('facilities', '0004_province_contact'),
    ]

    operations = [
        # PostgreSQL: LIKE '%word%' on the folded text through pg_trgm (portal/search.py).
        portal.search.CreateTrigramIndex(
            model_name='facility',
            field_name='search_text',
            index_name='facilities_facility_search_trgm',
        ),
    ]
