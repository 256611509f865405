"""Orders deleted upstream get ``deleted_at``; audits keep their evidence in ``audit_windows``.

An order that an audit's complete re-walk of its ``createdAt`` window no longer returns is
marked, never deleted, and read again it is live again. Each window an audit counted is a row
of ``audit_windows`` (the API's and the mirror's counts, status, healing), so "verified
through <date>" is a fact in the database. Existing orders start live.

Revision ID: ee46031d25b9
Revises: 46e20162ef59
Create Date: 2026-12-02 04:25:32
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "ee46031d25b9"
down_revision: str | Sequence[str] | None = "46e20162ef59"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_windows",
        sa.Column("id", sa.Uuid(), nullable=False, comment="This row's own id (UUIDv7)"),
        sa.Column(
            "run_id",
            sa.Uuid(),
            nullable=False,
            comment="The audit's run (sync_runs.id, stream audit)",
        ),
        sa.Column(
            "collection",
            sa.String(),
            nullable=False,
            comment="What was counted: orders, or a catalogue table",
        ),
        sa.Column(
            "window_start",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="Start of the createdAt window, inclusive (UTC)",
        ),
        sa.Column(
            "window_end",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="End of the createdAt window, exclusive (UTC)",
        ),
        sa.Column(
            "granularity",
            sa.String(),
            nullable=False,
            comment="Size of the window: range, month, day or hour",
        ),
        sa.Column(
            "api_count",
            sa.Integer(),
            nullable=False,
            comment="totalItems the API reported for the window when first counted",
        ),
        sa.Column(
            "mirror_count",
            sa.Integer(),
            nullable=False,
            comment="Live (not deleted_at) rows the mirror held in the window when first counted",
        ),
        sa.Column(
            "status",
            sa.String(),
            nullable=False,
            comment="match: counts equal; split: differed, counted again in finer windows; healed: re-walked and then equal; differs: re-walked and still not equal; sampled: a day re-read for content, nothing changed; changed: re-read, and orders were updated, inserted or marked deleted",
        ),
        sa.Column(
            "checked_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="When the window was first counted (UTC)",
        ),
        sa.Column(
            "healed_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When the window's re-walk finished (UTC); NULL: not re-walked",
        ),
        sa.Column(
            "healed_api_count",
            sa.Integer(),
            nullable=True,
            comment="totalItems for the window counted again after the re-walk",
        ),
        sa.Column(
            "healed_mirror_count",
            sa.Integer(),
            nullable=True,
            comment="Live rows in the window counted again after the re-walk",
        ),
        sa.Column(
            "inserted",
            sa.Integer(),
            nullable=True,
            comment="Rows the re-walk added to the mirror (missing before)",
        ),
        sa.Column(
            "marked_deleted",
            sa.Integer(),
            nullable=True,
            comment="Rows the re-walk marked deleted_at (no longer returned by the API)",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_windows")),
        comment="One createdAt window an audit compared between the API and the mirror",
    )
    op.create_index(
        op.f("ix_audit_windows_collection"),
        "audit_windows",
        ["collection", "window_start"],
        unique=False,
    )
    op.create_index(op.f("ix_audit_windows_run_id"), "audit_windows", ["run_id"], unique=False)
    op.add_column(
        "orders",
        sa.Column(
            "deleted_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Set when an audit's complete re-walk of the order's createdAt window no longer returned it (deleted upstream); NULL again once a read returns it",
        ),
    )


def downgrade() -> None:
    # Native on SQLite since 3.35; a batch copy of orders would break the views reading it.
    op.drop_column("orders", "deleted_at")
    op.drop_index(op.f("ix_audit_windows_run_id"), table_name="audit_windows")
    op.drop_index(op.f("ix_audit_windows_collection"), table_name="audit_windows")
    op.drop_table("audit_windows")
