"""Per-actor module settings for tests: the values the Deir Ezzor practices give ISIS, the
army and the FSA at the start (scenarios/common/practices-deir-ezzor.yaml), written as
``modules.<name>.actors`` settings (no actor-specific values live in module code)."""

from __future__ import annotations

from typing import Any


def v(x: Any) -> dict[str, Any]:
    return {"value": x, "assumption": "test"}


ISIS_ECONOMY = {"base": v(50.0), "per_wife": v(50.0), "per_parent": v(50.0),
                "per_child": v(35.0), "foreign_multiplier": v(2.5),
                "in_kind_per_person_usd": v(25.0), "in_kind_usd": v(60.0),
                "long_service_raise": v(50.0), "economic_control": v(0.15)}
ISIS_JOINING = {"initial_members": v(1500), "foreign_members": v(300),
                "belief_per_year": v(0.004), "amnesty_per_year": v(0.3),
                "economic_per_year": v(0.03), "revenge_per_year": v(0.02),
                "opportunism_per_year": v(0.004), "minors_base": v(0.3),
                "minors_loss_gain": v(8.0), "surrender_on_takeover": v(0.5)}
ISIS_SERVICE = {"religious_days": v(40), "military_days": v(30), "full_training_days": v(70)}
FSA_ECONOMY = {"base": v(36.0)}
FSA_JOINING = {"initial_members": v(3000), "belief_per_year": v(0.003),
               "revenge_per_year": v(0.02), "economic_per_year": v(0.005),
               "switch_per_year": v(0.4), "switch_on_takeover": v(0.4),
               "surrender_on_takeover": v(0.5), "allies": v(["NUSRA"])}
SAA_ECONOMY = {"base": v(63.0)}
