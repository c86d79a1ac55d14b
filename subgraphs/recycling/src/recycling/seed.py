"""Load the taxonomy into the `recycling` schema: idempotent, one transaction."""

from __future__ import annotations

from sqlalchemy import create_engine, delete, func, select
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.orm import Session

from bunri_shared.data_version import bump_data_version
from bunri_shared.db import with_driver
from bunri_shared.taxonomy import CategoryEntry, load_taxonomy
from bunri_shared.taxonomy.terms import normalise
from recycling.models import DATA_VERSION, Category, Item, ItemTerm


def seed(database_url: str) -> str:
    entries = load_taxonomy()
    engine = create_engine(with_driver(database_url, "psycopg"))
    try:
        with Session(engine) as session, session.begin():
            _upsert(session, entries)
            bump_data_version(session, DATA_VERSION)
            categories = session.scalar(select(func.count()).select_from(Category))
            items = session.scalar(select(func.count()).select_from(Item))
    finally:
        engine.dispose()
    return f"{categories} categories, {items} disposal items"


def _upsert_on(statement: Insert, key: str) -> Insert:
    """ON CONFLICT (key): overwrite every inserted column but the key (ids stay stable)."""
    columns = [name for name in statement.compile().params if name != key]
    return statement.on_conflict_do_update(
        index_elements=[key], set_={name: statement.excluded[name] for name in columns}
    )


def _upsert(session: Session, entries: list[CategoryEntry]) -> None:
    # Parents first, so the self-reference holds at every row.
    for entry in sorted(entries, key=lambda e: e.parent is not None):
        values = {
            "code": entry.code,
            "parent_code": entry.parent,
            "position": entry.position,
            "name_ko": entry.name_ko,
            "name_en": entry.name_en,
            "guide": entry.guide,
            "source": entry.source,
        }
        statement = insert(Category).values(values)
        session.execute(_upsert_on(statement, "code"))
    wanted = {item.name_ko for entry in entries for item in entry.items}
    session.execute(delete(Item).where(Item.name_ko.not_in(wanted)))
    for entry in entries:
        for item in entry.items:
            statement = insert(Item).values(
                category_code=entry.code,
                name_ko=item.name_ko,
                name_en=item.name_en,
                synonyms=list(item.synonyms),
            )
            item_id = session.scalar(_upsert_on(statement, "name_ko").returning(Item.id))
            session.execute(delete(ItemTerm).where(ItemTerm.item_id == item_id))
            terms = {normalise(t) for t in (item.name_ko, item.name_en, *item.synonyms)}
            session.execute(
                insert(ItemTerm), [{"item_id": item_id, "term": t} for t in sorted(terms) if t]
            )
    session.execute(delete(Category).where(Category.code.not_in([e.code for e in entries])))
