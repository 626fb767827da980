"""Reference optimizers that need a wrapper to run on one 2D point (imported lazily: torch).

The golden generator (``tools/make_goldens.py``) builds every reference from the optimizer
table (``tests/optimizer_table.py``); most are plain classes, these two need help:

- ``torch.optim.Muon`` only takes matrices: `muon_matrix` runs it on the point seen as a
  1 x 2 matrix (a float64 leaf tensor it keeps in step with the point). ``exact=True`` runs
  torch's own Newton-Schulz code in float64 (``Tensor.bfloat16`` patched to a float64 copy
  during the step), which is what we implement; ``exact=False`` is torch as shipped
  (bfloat16), to measure the difference.
- Schedule-Free must be put in train mode before stepping: `train_mode`.
- ``prodigyopt.Prodigy`` prints a line when its weight decay is decoupled: `prodigy`.
"""

from __future__ import annotations

from typing import Any


def muon_matrix(params: list[Any], hparams: dict[str, Any], *, exact: bool = True) -> Any:
    """``torch.optim.Muon`` on the point ``params[0]`` (shape ``(2,)``) as a 1 x 2 matrix."""
    import torch

    point = params[0]

    class MatrixMuon(torch.optim.Muon):
        def __init__(self) -> None:
            self.matrix = point.detach().clone().view(1, -1).requires_grad_(True)
            kwargs = dict(hparams)
            kwargs["ns_coefficients"] = tuple(kwargs["ns_coefficients"])
            super().__init__([self.matrix], **kwargs)

        def step(self, closure: Any = None) -> Any:
            with torch.enable_grad():
                loss = closure() if closure is not None else None
            with torch.no_grad():
                self.matrix.copy_(point.view(1, -1))
            self.matrix.grad = point.grad.detach().view(1, -1).clone()
            patched = "bfloat16" in vars(torch.Tensor)
            original = torch.Tensor.bfloat16
            if exact:
                torch.Tensor.bfloat16 = lambda self, *a, **k: self.clone()  # type: ignore[method-assign]
            try:
                super().step()
            finally:
                if exact:
                    if patched:
                        torch.Tensor.bfloat16 = original  # type: ignore[method-assign]
                    else:
                        del torch.Tensor.bfloat16
            with torch.no_grad():
                point.copy_(self.matrix.view(-1))
            return loss

    return MatrixMuon()


def train_mode(opt: Any) -> None:
    """Schedule-Free's ``opt.train()``: the parameters are ``y``, where gradients are taken."""
    opt.train()


def prodigy(params: list[Any], hparams: dict[str, Any]) -> Any:
    """``prodigyopt.Prodigy``, without the line it prints when weight decay is decoupled."""
    import contextlib
    import io

    from prodigyopt import Prodigy

    with contextlib.redirect_stdout(io.StringIO()):
        return Prodigy(params, **hparams)
