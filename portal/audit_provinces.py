"""The province an audit record is about: the audit trail asks, the registry answers.

Every LogEntry stores the province of its object in `additional_data` and every AccountEvent in
its `province` column, so the admin scopes the record with a queryset filter. The foundation knows
nothing of provinces and facilities: the registry registers a resolver in its AppConfig.ready()
(facilities/audit_scope.py). Without one, no record has a province.
"""

from django.db.models import BigIntegerField, F, Func
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

_resolver = {"province_ids": None, "loaded_with": None}


def register_province_resolver(province_ids, loaded_with):
    """Install the registry's answers (called once, from its AppConfig.ready()).

    province_ids(objects): {id(obj): province id} for those of `objects` that have a province,
        with at most one query per model;
    loaded_with(model): {relation name: [its fields]} to read with the state before an audited
        update (portal/auditlog_setup.py), so that finding the province then costs no query.
    """
    _resolver["province_ids"] = province_ids
    _resolver["loaded_with"] = loaded_with


def province_ids_of(objects):
    """{id(obj): province id} for `objects` (users, groups, standards have none)."""
    resolve = _resolver["province_ids"]
    return resolve(objects) if resolve is not None else {}


def province_of(obj):
    """The id of the province an object belongs to, or None."""
    if obj is None:
        return None
    return province_ids_of([obj]).get(id(obj))


def loaded_with(model):
    """Relations (and their fields) to read with `model`'s previous state; see above."""
    resolve = _resolver["loaded_with"]
    return resolve(model) if resolve is not None else {}


def previous_state(obj):
    """The state `obj` had before the update being audited, as read by the audit trail, or None.

    It carries the relations `loaded_with` asked for, which `obj` itself may not have loaded.
    """
    return getattr(obj, "_audit_old", None)


def additional_data(obj):
    """auditlog's `get_additional_data` for every registered model: the province, for scoping."""
    province = province_of(obj)
    return {"province": province} if province is not None else None


class EntryProvince(Func):
    """The province id stored in a LogEntry's additional_data, as an integer expression.

    Written exactly as the expression index of migration portal 0002 indexes it, so that
    scoping the audit log by province reads that index instead of every entry's JSON (a
    province admin's audit list: 714 ms on SQLite, 403 ms on PostgreSQL at 500,000 entries
    before the index, issue 13). On SQLite the CAST matters: an expression without INTEGER
    affinity compared with integer ids (`IN (SELECT province id ...)`) does not use the index.
    """

    output_field = BigIntegerField()

    def __init__(self):
        super().__init__(F("additional_data"))

    def as_sql(self, compiler, connection, **extra_context):
        # Any other database: Django's own key transform (no index).
        fallback = Cast(KeyTextTransform("province", "additional_data"), BigIntegerField())
        return compiler.compile(fallback.resolve_expression(compiler.query))

    def _exactly(self, compiler, sql_template):
        column, params = compiler.compile(self.source_expressions[0])
        return sql_template.format(column=column), params

    def as_sqlite(self, compiler, connection, **extra_context):
        return self._exactly(compiler, ENTRY_PROVINCE_SQL["sqlite"])

    def as_postgresql(self, compiler, connection, **extra_context):
        return self._exactly(compiler, ENTRY_PROVINCE_SQL["postgresql"])


# The indexed expression on each database ({column}: the additional_data column). Migration
# portal 0002 writes the same text in its index; tests/test_scale_queries.py checks that the
# scope's query plan reads that index on both databases.
ENTRY_PROVINCE_SQL = {
    "sqlite": "CAST(json_extract({column}, '$.province') AS integer)",
    "postgresql": "(({column} ->> 'province')::bigint)",
}


def entry_province():
    """The province id stored in a LogEntry's additional_data (indexed: `EntryProvince`)."""
    return EntryProvince()
