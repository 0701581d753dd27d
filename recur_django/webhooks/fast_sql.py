"""The fast path's one SQL statement (:mod:`recur_django.webhooks.fast_path`), in two forms.

- **new** (a delivery): the ``ev`` CTE INSERTs the event, ``ON CONFLICT (event_id) DO
  NOTHING``, as PROCESSED when ``txn`` applied and RECEIVED otherwise; ``txn`` requires that
  no row of the event exists yet.
- **stored** (a task worker applying a RECEIVED row): ``lockev`` locks the event's row
  while it is still RECEIVED, ``txn`` requires that lock, and ``ev`` UPDATEs that row to
  PROCESSED only when ``txn`` applied. The event row is locked before the transaction's
  row, the order the full path (``redispatch``) locks them in, so the two cannot deadlock.

Both then link the Recur customer to the transaction's owner (``cust``) and insert the
ledger's payment (``pay``), and divide by zero — rolling everything back — should ``txn``
have applied while ``ev`` wrote nothing. The answer carries the transaction (``txn.*``, last)
and the rows of its owner and user (:func:`joined_fields`), so the signals need no query.
Built once per process for each form and lookup (transaction public id or checkout session
id); only table and column names from the models are interpolated, every value is a
parameter. One line, under psycopg's 4,096-character limit for caching the parsed query
with the default owner model (the user model).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Field

from recur_django.ledger.charges import LOCK_NAMESPACE
from recur_django.models import Customer, Payment, Refund, Transaction, WebhookEvent
from recur_django.owners import owner_is_user_model, owner_model
from recur_django.webhooks.dispatch import ATTEMPT_FIELDS

#: Statuses from which a proven payment completes a transaction (as ``fulfil``).
FULFILLABLE = ("pending", "failed", "expired")

#: The event columns a new delivery's INSERT decides in SQL (whether ``txn`` applied);
#: every other column of the model takes the unsaved row's value (:func:`event_params`).
DECIDED = {
    "payload": "(SELECT payload FROM src)",
    "status": "CASE WHEN applied THEN 'processed' ELSE 'received' END",
    "attempts": "CASE WHEN applied THEN 1 ELSE 0 END",
    "processed_at": "CASE WHEN applied THEN %(now)s::timestamptz END",
}
#: What the stored form writes for each of dispatch's ``ATTEMPT_FIELDS`` (one attempt).
APPLIED = {
    "status": "'processed'",
    "error": "''",
    "traceback": "''",
    "retryable": "false",
    "attempts": "attempts + 1",
    "processed_at": "%(now)s",
}


def event_fields() -> list[Field[Any, Any]]:
    """The event's concrete fields the INSERT writes (all but the primary key)."""
    return [f for f in WebhookEvent._meta.concrete_fields if not f.primary_key]


def event_params(event: WebhookEvent) -> dict[str, Any]:
    """The INSERT's parameters ``ev_<column>``: the unsaved row's values, prepared as the
    ORM prepares them (as :func:`~recur_django.webhooks.dispatch.new_row` made them)."""
    return {
        f"ev_{f.column}": f.get_db_prep_save(getattr(event, f.attname), connection)
        for f in event_fields()
        if f.column not in DECIDED
    }


def _event_insert(table: str) -> str:
    columns = [str(f.column) for f in event_fields()]
    values = ", ".join(DECIDED.get(c, f"%(ev_{c})s") for c in columns)
    return f"""INSERT INTO {table} ({", ".join(columns)})
    SELECT {values}
    FROM (SELECT EXISTS (SELECT 1 FROM txn) AS applied) AS a
    ON CONFLICT (event_id) DO NOTHING
    RETURNING id, status"""  # noqa: S608


def _event_update(table: str) -> str:
    missing = set(ATTEMPT_FIELDS) ^ set(APPLIED)
    if missing:  # a field added to one attempt must be written here too
        raise RuntimeError(f"fast_sql.APPLIED and dispatch.ATTEMPT_FIELDS differ: {missing}")
    columns = {f.name: f.column for f in event_fields()}
    sets = ", ".join(f"{columns[name]} = {APPLIED[name]}" for name in ATTEMPT_FIELDS)
    return f"""UPDATE {table} SET {sets}
    WHERE id = (SELECT id FROM lockev) AND EXISTS (SELECT 1 FROM txn)
    RETURNING id, status"""  # noqa: S608


def joined_fields() -> tuple[list[Field[Any, Any]], list[Field[Any, Any]]]:
    """The owner's and the user's fields, in the order the statement answers them."""
    return list(owner_model()._meta.concrete_fields), list(get_user_model()._meta.concrete_fields)


def _joined(alias: str, model: Any) -> tuple[str, str]:
    """(``LEFT JOIN`` of ``model`` as ``alias`` on the transaction's column, its columns)."""
    column = "owner_id" if alias == "o" else "user_id"
    table, pk = model._meta.db_table, model._meta.pk.column
    join = f"LEFT JOIN {table} {alias} ON {alias}.{pk} = txn.{column}"
    return join, ", ".join(f"{alias}.{f.column}" for f in model._meta.concrete_fields)


@lru_cache(maxsize=4)
def statement(by_public_id: bool, stored: bool = False) -> str:
    """The SQL for a new delivery or (``stored``) a RECEIVED row, by public or session id."""
    t, e = Transaction._meta.db_table, WebhookEvent._meta.db_table
    c, p, r = Customer._meta.db_table, Payment._meta.db_table, Refund._meta.db_table
    lookup = "public_id" if by_public_id else "checkout_session_id"
    join_owner, owner_cols = _joined("o", owner_model())
    join_user, user_cols = _joined("u", get_user_model())
    # Payment.user: who started the checkout; without one, the owner when owners are users.
    pay_user = "COALESCE(txn.user_id, txn.owner_id)" if owner_is_user_model() else "txn.user_id"
    fulfillable = ", ".join(f"'{s}'" for s in FULFILLABLE)
    # Only table and column names from the models are interpolated (S608 below).
    if stored:
        source = f"""lockev AS (
    SELECT id, payload FROM {e} WHERE event_id = %(event_id)s AND status = 'received'
    FOR UPDATE
),
src AS (SELECT payload FROM lockev),"""  # noqa: S608
        event_check = "EXISTS (SELECT 1 FROM lockev)"
        write_event = _event_update(e)
    else:
        source = "src AS (SELECT %(payload)s::jsonb AS payload),"
        event_check = f"NOT EXISTS (SELECT 1 FROM {e} WHERE event_id = %(event_id)s)"  # noqa: S608
        write_event = _event_insert(e)
    sql = f"""
WITH {source}
txn AS (
    UPDATE {t} AS t SET status = 'completed', completed_at = %(now)s, failure_reason = '',
        updated_at = %(now)s,
        order_id = CASE WHEN %(order_id)s <> '' THEN %(order_id)s ELSE t.order_id END,
        product_id = CASE WHEN t.product_id = '' THEN %(product_id)s ELSE t.product_id END
    WHERE t.{lookup} = %(ref)s
      AND t.status IN ({fulfillable})
      AND t.checkout_session_id = %(session_id)s
      AND t.owner_id = %(owner_id)s
      AND (t.amount IS NULL OR t.amount = %(amount)s)
      AND (t.currency = '' OR %(currency)s = '' OR upper(t.currency) = %(currency)s)
      AND (t.product_id = '' OR %(product_id)s = '' OR t.product_id = %(product_id)s)
      AND {event_check}
      AND NOT EXISTS (SELECT 1 FROM {p} WHERE recur_id = ANY(%(ids)s)
                      OR order_id = ANY(%(ids)s) OR invoice_id = ANY(%(ids)s))
      AND NOT EXISTS (SELECT 1 FROM {r} WHERE payment_id IS NULL
                      AND (order_id = ANY(%(ids)s) OR invoice_id = ANY(%(ids)s)))
      AND ((NOT EXISTS (SELECT 1 FROM {c} WHERE owner_id = t.owner_id)
            AND NOT EXISTS (SELECT 1 FROM {c} WHERE recur_id = %(customer_id)s))
           OR EXISTS (SELECT 1 FROM {c} WHERE owner_id = t.owner_id
                      AND recur_id = %(customer_id)s
                      AND (%(email)s = '' OR email = %(email)s)))
      AND (SELECT bool_and(pg_try_advisory_xact_lock({LOCK_NAMESPACE}, hashtext(i)))
           FROM unnest(%(ids)s::text[]) AS i)
    RETURNING t.*
),
ev AS (
    {write_event}
),
cust AS (
    INSERT INTO {c} (owner_id, recur_id, email, name, external_id, created_at, updated_at)
    SELECT txn.owner_id, %(customer_id)s, %(email)s, %(name)s, %(external_id)s,
           %(now)s, %(now)s
    FROM txn WHERE NOT EXISTS (SELECT 1 FROM {c} WHERE owner_id = txn.owner_id)
    RETURNING id
),
payer AS (
    SELECT COALESCE((SELECT id FROM cust),
                    (SELECT id FROM {c} WHERE recur_id = %(customer_id)s)) AS id
),
pay AS (
    INSERT INTO {p} (recur_id, order_id, invoice_id, kind, status, amount, currency,
        refunded_amount, reported_refunded_total, customer_id, owner_id, user_id,
        subscription_id,
        transaction_id, payment_link_id, checkout_session_id, product_id, billing_reason,
        failure_reason, paid_at, failed_at, success_signaled, failure_signaled,
        refund_signaled_amount, review_reason, raw, created_at, updated_at)
    SELECT %(pay_key)s, %(pay_order_id)s, %(pay_invoice_id)s, %(kind)s, 'paid',
           %(amount)s, %(pay_currency)s, 0, 0, payer.id, txn.owner_id, {pay_user}, NULL,
           txn.id, NULL,
           %(pay_session_id)s, %(pay_product_id)s, %(billing_reason)s, '', %(paid_at)s,
           NULL, true, false, 0, '', (SELECT payload -> 'data' FROM src), %(now)s, %(now)s
    FROM txn, payer
    RETURNING id, customer_id
)
SELECT ev.id, ev.status, pay.id, pay.customer_id,
       CASE WHEN ev.id IS NULL AND EXISTS (SELECT 1 FROM txn)
            THEN 1 / (SELECT count(*) FROM ev)::int END,
       {owner_cols}, {user_cols}, txn.*
FROM (SELECT 1) AS one
LEFT JOIN ev ON true LEFT JOIN pay ON true LEFT JOIN txn ON true {join_owner} {join_user}
"""  # noqa: S608
    return " ".join(sql.split())
