"""queue of attempts not yet in the daily item sums

Submissions no longer write the daily sums in their own transaction: they queue
their attempt, and the item analysis adds the queued attempts when it is read
(`portal.learning.item_stats`). Every attempt recorded before this revision is
already in the sums, so the queue starts empty. The downgrade adds what is still
queued to the sums first, since the code of 0003 expects them complete.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 02:10:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('item_stats_pending',
    sa.Column('attempt_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_item_stats_pending_attempt_id_attempts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('attempt_id', name=op.f('pk_item_stats_pending')),
    sqlite_with_rowid=False
    )


def downgrade() -> None:
    # A later revision that changes these tables must freeze a copy of today's
    # catch-up here first.
    from portal.learning.item_stats import catch_up_item_stats

    catch_up_item_stats(op.get_bind())
    op.drop_table('item_stats_pending')
