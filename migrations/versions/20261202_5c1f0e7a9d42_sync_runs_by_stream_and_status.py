"""``sync_runs`` indexed by stream and start, and by stream, status and start.

The orders stream now runs every 15 s, so ``sync_runs`` holds many runs per stream;
``korsync status`` and the daemon look up each stream's latest run and its latest success and
failure, and pruning old runs keeps those. With only ``stream`` indexed, finding a failure weeks
old meant reading every later run of the stream. The two indexes serve those lookups; the one
on ``stream`` alone is a prefix of both and goes.

Revision ID: 5c1f0e7a9d42
Revises: b8f4c2d17a93
Create Date: 2026-12-02 07:35:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5c1f0e7a9d42"
down_revision: str | Sequence[str] | None = "b8f4c2d17a93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.create_index("ix_sync_runs_stream_started_at", ["stream", "started_at"])
        batch_op.create_index(
            "ix_sync_runs_stream_status_started_at", ["stream", "status", "started_at"]
        )
        batch_op.drop_index(batch_op.f("ix_sync_runs_stream"))


def downgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_runs_stream"), ["stream"], unique=False)
        batch_op.drop_index("ix_sync_runs_stream_status_started_at")
        batch_op.drop_index("ix_sync_runs_stream_started_at")
