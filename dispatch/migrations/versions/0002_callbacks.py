"""callbacks: when the bot asked the citizen to rate a resolved ticket

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("callback_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_tickets_status_callback", "tickets", ["status", "callback_at"])


def downgrade() -> None:
    op.drop_index("ix_tickets_status_callback", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("callback_at")
