"""The names a run can write: event names (events.parquet) and stock names (stocks.parquet).

Used to refuse a sweep outcome that names an event or stock no module records (it would
be 0 in every run, silently). docs/outputs.md describes each; a test checks that every
name the modules record is listed here, so the list cannot fall behind.
"""

from __future__ import annotations

#: Events recorded by the engine (deaths) and the modules.
EVENTS: frozenset[str] = frozenset({
    # core
    "died", "killed",
    # joining
    "joined", "switched", "surrendered", "withdrew",
    # service
    "trained", "deployed", "rotated",
    # coercion
    "registered", "evaded", "hid", "conscripted", "detained", "released", "bribed_release",
    "forced_labour_death", "raid", "settled", "punished", "let_go", "killed_caught",
    # leaving
    "deserted", "defected", "executed", "property_confiscated", "suspected", "reassigned",
    "escorted", "expelled",
    # flight and returns
    "fled", "smuggled", "stayed", "interdicted", "mine_death", "arrived", "camp_exit",
    "returned", "attempt", "turned_back", "evacuated", "entered", "turned_away", "sponsored",
})

#: Stocks recorded by the engine and the modules.
STOCKS: frozenset[str] = frozenset({
    # core
    "people", "strength", "minors_share", "control",
    # economy
    "pay_bill_usd", "food_price_index", "hardship", "syp_per_usd",
    # coercion, leaving
    "wanted", "hiding", "detained", "suspected", "hiding_lost_wages_usd",
    # flight
    "camp_population", "in_transit", "displaced",
})
