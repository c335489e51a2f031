"""Neural posterior estimation (the ``sbi`` package): a conditional density estimator of the
parameters given the targets, trained once on the simulation bank (amortized).

Parameters are in standard-normal coordinates (:meth:`Priors.to_z`), so the prior given to
``sbi`` is a standard multivariate normal and no posterior mass can leak outside a bounded
prior. Features are the targets' values with the observation error added
(:func:`ranks.calibrate.summaries.add_noise`), ``log1p`` of counts. Training and sampling
are seeded and single-threaded: the same bank and seed give the same posterior samples.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Density estimator: a masked autoregressive flow (sbi's default), small enough for
#: banks of a few hundred simulations.
ESTIMATOR = "maf"
HIDDEN = 50
TRANSFORMS = 5


def _torch() -> Any:
    try:
        import sbi  # noqa: F401
        import torch
    except ImportError as e:  # pragma: no cover - an optional dependency
        from ranks.errors import RanksInputError

        raise RanksInputError(f"calibration needs the 'calibrate' extra (sbi and torch): "
                              f"pip install -e '.[calibrate]' ({e})") from None
    torch.set_num_threads(1)
    return torch


class _NoTracker:
    """sbi's training tracker that keeps nothing (sbi's default writes TensorBoard logs
    into ./sbi-logs of the current directory)."""

    log_dir = None

    def log_metric(self, name: str, value: float, step: int | None = None) -> None:
        pass

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        pass

    def log_params(self, params: dict[str, Any]) -> None:
        pass

    def add_figure(self, name: str, figure: Any, step: int | None = None) -> None:
        pass

    def flush(self) -> None:
        pass


def require() -> None:
    """Raise an input error (exit 2) now, before any simulation, when sbi or torch is
    missing."""
    _torch()


@dataclass
class Estimator:
    """A trained posterior estimator over ``dim`` standard-normal parameters."""

    posterior: Any
    dim: int
    epochs: int
    train_sims: int

    def sample(self, x: np.ndarray, n: int, seed: int) -> np.ndarray:
        """``n`` posterior draws (n, dim) in z given features ``x`` (k,)."""
        torch = _torch()
        torch.manual_seed(int(seed))
        xt = torch.as_tensor(np.asarray(x, dtype=np.float32)[None, :])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = self.posterior.sample((n,), x=xt, show_progress_bars=False)
        return s.detach().cpu().numpy().astype(np.float64)

    def to_bytes(self) -> bytes:
        """The estimator, pickled by torch (for later sampling)."""
        torch = _torch()
        buf = io.BytesIO()
        torch.save({"posterior": self.posterior, "dim": self.dim, "epochs": self.epochs,
                    "train_sims": self.train_sims}, buf)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Estimator:
        torch = _torch()
        d = torch.load(io.BytesIO(data), weights_only=False)
        return cls(d["posterior"], d["dim"], d["epochs"], d["train_sims"])


def train(z: np.ndarray, x: np.ndarray, seed: int) -> Estimator:
    """Train NPE on parameters ``z`` (n, d) and features ``x`` (n, k); rows with a
    non-finite feature are dropped.

    Raises:
        ValueError: fewer than 20 usable simulations.
    """
    torch = _torch()
    from sbi.inference import NPE
    from sbi.neural_nets import posterior_nn
    from torch.distributions import MultivariateNormal

    ok = np.isfinite(x).all(axis=1) & np.isfinite(z).all(axis=1)
    z, x = z[ok], x[ok]
    if len(z) < 20:
        raise ValueError(f"only {len(z)} usable simulations; need at least 20")
    d = z.shape[1]
    torch.manual_seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    prior = MultivariateNormal(torch.zeros(d), torch.eye(d))
    net = posterior_nn(model=ESTIMATOR, hidden_features=HIDDEN, num_transforms=TRANSFORMS)
    inf = NPE(prior=prior, density_estimator=net, show_progress_bars=False,
              tracker=_NoTracker())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inf.append_simulations(torch.as_tensor(z, dtype=torch.float32),
                               torch.as_tensor(x, dtype=torch.float32))
        est = inf.train(training_batch_size=min(100, max(10, len(z) // 5)),
                        stop_after_epochs=20, show_train_summary=False)
        post = inf.build_posterior(est)
    epochs = int(inf.summary.get("epochs_trained", [0])[-1]) if hasattr(inf, "summary") else 0
    return Estimator(post, d, epochs, int(len(z)))


__all__ = ["Estimator", "train"]
