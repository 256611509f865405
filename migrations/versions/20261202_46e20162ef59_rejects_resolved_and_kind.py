"""Rejected records say whether they are still missing (``resolved_at``) and what kind of
reject they are (``kind``: ``rejected``, or ``partial`` for an item stored without some part).

A reject whose item a later run stored is resolved, not deleted, so ``rejected_records`` keeps
the history and ``resolved_at IS NULL`` selects what the mirror still lacks. Writes resolve by
the written items' keys, hence the index on ``record_key``. Existing rejects start unresolved.

Revision ID: 46e20162ef59
Revises: e3d5a9c81f60
Create Date: 2026-12-02 01:58:56
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "46e20162ef59"
down_revision: str | Sequence[str] | None = "e3d5a9c81f60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND_COMMENT = (
    "rejected: the item is not in the mirror at all; partial: the item is stored but part of "
    "it could not be mapped (reason says which)"
)
RESOLVED_COMMENT = (
    "When an item with this key was last stored after being rejected (UTC); NULL while it is "
    "still missing. Rejected again, it is NULL again"
)
KEY_COMMENT = (
    "The item's id (a long or unprintable one shortened: prefix, then its sha256), "
    "or a hash of its payload"
)
OLD_KEY_COMMENT = "The item's id, or a hash of its payload"


def upgrade() -> None:
    op.add_column(
        "rejected_records",
        sa.Column(
            "kind", sa.String(), server_default="rejected", nullable=False, comment=KIND_COMMENT
        ),
    )
    op.add_column(
        "rejected_records",
        sa.Column(
            "resolved_at", sa.DateTime(timezone=True), nullable=True, comment=RESOLVED_COMMENT
        ),
    )
    op.create_index(
        op.f("ix_rejected_records_record_key"), "rejected_records", ["record_key"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":  # SQLite has no column comments
        op.alter_column(
            "rejected_records", "record_key", comment=KEY_COMMENT, existing_comment=OLD_KEY_COMMENT
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "rejected_records", "record_key", comment=OLD_KEY_COMMENT, existing_comment=KEY_COMMENT
        )
    op.drop_index(op.f("ix_rejected_records_record_key"), table_name="rejected_records")
    with op.batch_alter_table("rejected_records") as batch:
        batch.drop_column("resolved_at")
        batch.drop_column("kind")
