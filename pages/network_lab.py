"""Network lab: watch a 2-3-1 ReLU network fail (or not) to learn |x + iy|, from many seeds.

Layout and widgets only; the network, training, references and statistics live in `netlab`,
the figures in `viz.netlab`. Cached functions take primitives only.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import netlab
import optimizers
from viz.netlab import (
    comparison_figure,
    final_loss_figure,
    landscape_figure,
    loss_curves_figure,
    network_surface_figure,
    unit_counts_figure,
)

DATA_SEED = 0
LR_CHOICES = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
STEP_CHOICES = (100, 250, 500, 1000, 2000, 5000)
SEED_CHOICES = (8, 16, 32, 64, 128)
POINT_CHOICES = (32, 64, 128, 256, 512)
BATCH_CHOICES = ("full", 8, 16, 32, 64)
GRID_STEP_CHOICES = (200, 500, 1000, 2000, 5000)


@st.cache_data(max_entries=8, show_spinner=False)
def cached_data(n_points: int, domain: str) -> tuple[netlab.Dataset, netlab.References]:
    data = netlab.make_data(np.random.default_rng(DATA_SEED), n_points, domain=domain)
    return data, netlab.references(data)


@st.cache_data(max_entries=16, show_spinner="Training every seed at once...")
def cached_train(
    hidden: int,
    activation: str,
    optimizer: str,
    lr: float,
    steps: int,
    seeds: int,
    n_points: int,
    domain: str,
    batch: str | int,
    init: str,
) -> netlab.TrainResult:
    data, ref = cached_data(n_points, domain)
    return netlab.train_config(
        data,
        range(seeds),
        activation,
        hidden,
        optimizer,
        {"lr": lr},
        steps=steps,
        threshold=ref.threshold,
        batch_size=None if batch == "full" else int(batch),
        init=init,
        record_every=max(1, steps // 200),
    )


@st.cache_data(max_entries=4, show_spinner="Running the comparison grid...")
def cached_comparison(
    seeds: int, steps: int, n_points: int, domain: str
) -> tuple[list[dict], list[dict]]:
    data, ref = cached_data(n_points, domain)
    cmp = netlab.run_comparison(
        data,
        netlab.grid_seeds(seeds),
        steps=steps,
        threshold=ref.threshold,
        stuck_level=ref.valley / 2,
    )
    return cmp.records(), [c._asdict() for c in netlab.evaluate_claims(cmp)]


def sidebar() -> dict:
    sb = st.sidebar
    sb.header("Network")
    acts = list(netlab.ACTIVATIONS)
    cfg = {
        "activation": sb.selectbox(
            "Activation",
            acts,
            format_func=lambda a: netlab.ACTIVATIONS[a].title,
            key="nl_act",
            bind="query-params",
        ),
        "hidden": sb.slider(
            "Hidden units H", 1, netlab.MAX_HIDDEN, 3, key="nl_h", bind="query-params"
        ),
        "init": sb.selectbox(
            "Initialization",
            netlab.INIT_SCHEMES,
            key="nl_init",
            bind="query-params",
            help="glorot_uniform with zero biases is Keras' Dense default "
            "(the question used Keras); torch is nn.Linear's default.",
        ),
    }
    sb.header("Optimizer")
    names = list(optimizers.OPTIMIZERS)
    cfg["optimizer"] = sb.selectbox(
        "Optimizer", names, index=names.index("adam"), key="nl_opt", bind="query-params"
    )
    cfg["lr"] = sb.select_slider(
        "Learning rate (log scale)", LR_CHOICES, value=0.01, key="nl_lr", bind="query-params"
    )
    cfg["steps"] = sb.select_slider(
        "Steps", STEP_CHOICES, value=1000, key="nl_steps", bind="query-params"
    )
    sb.caption("Other hyperparameters keep torch.optim's defaults.")
    sb.header("Runs and data")
    cfg["seeds"] = sb.select_slider(
        "Random initializations (seeds)",
        SEED_CHOICES,
        value=64,
        key="nl_seeds",
        bind="query-params",
    )
    cfg["n_points"] = sb.select_slider(
        "Training points", POINT_CHOICES, value=128, key="nl_n", bind="query-params"
    )
    cfg["domain"] = sb.radio(
        "Domain", netlab.DOMAINS, horizontal=True, key="nl_domain", bind="query-params"
    )
    cfg["batch"] = sb.select_slider(
        "Minibatch", BATCH_CHOICES, value="full", key="nl_batch", bind="query-params"
    )
    return cfg


def run_section(cfg: dict) -> int:
    data, ref = cached_data(cfg["n_points"], cfg["domain"])
    res = cached_train(**cfg)
    ok = res.success
    cols = st.columns(5)
    cols[0].metric("Reached the threshold", f"{int(ok.sum())}/{res.runs}")
    cols[1].metric("Missed it", f"{1 - ok.mean():.0%}")
    cols[2].metric(
        "Valley or worse",
        f"{np.mean(res.final_loss >= ref.valley / 2):.0%}",
        help="Final MSE at or above half the valley's: stuck in the valley, or worse.",
    )
    cols[3].metric("Median final MSE", f"{np.median(res.final_loss):.2e}")
    dead_word = "dead" if netlab.ACTIVATIONS[res.activation].dies else "inactive"
    cols[4].metric(f"Mean {dead_word} units", f"{res.dead_units.mean():.2f}")
    st.caption(
        f"Success means a final training MSE at or below **{ref.threshold:.2e}**: twice the MSE of "
        f"the best *hexagonal pyramid* ({ref.pyramid:.2e}), the shape three well-placed ReLUs "
        f"make (three lines through the origin, 120 degrees apart). Two opposite units make a "
        f"*valley* ({ref.valley:.2e}); predicting the mean, as a network whose units all died "
        f"does, costs var(y) = {ref.constant:.2e}. On the disc, long runs of the 2-3-1 ReLU "
        "network end within 1.3x of the pyramid or at 4x and more, so twice the pyramid sits "
        "in the gap (docs/netlab_results.md)."
    )
    refs = {"pyramid": ref.pyramid, "valley": ref.valley, "all units dead": ref.constant}
    st.plotly_chart(
        final_loss_figure(res.final_loss, ref.threshold, refs), theme=None, width="stretch"
    )

    labels = [
        f"run {i}: MSE {loss:.2e}, {d} {dead_word}, {m} merged"
        for i, (loss, d, m) in enumerate(
            zip(res.final_loss, res.dead_units, res.merged_units, strict=True)
        )
    ]
    picked = st.selectbox(
        "Pick a run (seed)",
        range(res.runs),
        index=netlab.median_run(res.final_loss),
        format_func=lambda i: labels[i],
    )
    left, right = st.columns(2)
    left.plotly_chart(
        loss_curves_figure(res.recorded_steps, res.losses, ok, ref.threshold, picked=picked),
        theme=None,
        width="stretch",
    )
    right.plotly_chart(
        unit_counts_figure(
            res.dead_units, res.merged_units, ok, res.hidden, dead_label=f"{dead_word} units"
        ),
        theme=None,
        width="stretch",
    )
    st.caption(
        f"A unit is *{dead_word}* when its pre-activation w.x + b is <= 0 on every training "
        "point (for ReLU it then gets no gradient and can never recover); two live units are "
        f"*merged* when their (w, b) point the same way (cosine > {netlab.MERGE_COSINE})."
    )
    grid = netlab.surface_grid(res.params[picked], res.activation, domain=cfg["domain"])
    w = netlab.unpack(res.params[picked])
    st.plotly_chart(
        network_surface_figure(
            grid.X,
            grid.Y,
            grid.Z_pred,
            grid.Z_target,
            w.W1,
            w.b1,
            res.dead[picked],
            title=f"Run {picked}: final MSE {res.final_loss[picked]:.2e}",
        ),
        theme=None,
        width="stretch",
    )
    return picked


@st.cache_data(max_entries=8, show_spinner="Slicing the loss landscape...")
def cached_landscape(
    cfg_items: tuple, run: int, span: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cfg = dict(cfg_items)
    data, _ = cached_data(cfg["n_points"], cfg["domain"])
    res = cached_train(**cfg)
    surface = netlab.landscape_surface(
        res.params[run], data, res.activation, np.random.default_rng(run), span=span
    )
    return surface.grid(61)


# Where each piece of advice comes from, as a student reads it (the claims keep the
# source documents' ids).
SOURCE_WORDS = {
    "001 answer": "an answer on a Q&A site",
    "001 question": "the question's author",
    "001 question/comments": "the question's comments",
    "002 book (quoted)": "a textbook",
}


def landscape_section(cfg: dict, run: int) -> None:
    with st.expander("Loss landscape around this run (Li et al., 2018)"):
        st.markdown(
            "The training loss on a plane through the picked run's final weights, spanned by "
            "two random *filter-normalized* directions: each unit's incoming weights are "
            "perturbed in proportion to their own size, so 1 on an axis means a change as large "
            "as the weights. The optimizer race has such a slice as its *network* surface "
            "(exact gradient and Hessian): race the optimizers on a real network's loss there."
        )
        span = st.select_slider("Half-width", (0.25, 0.5, 1.0, 2.0), value=1.0, key="nl_span")
        xs, ys, Z = cached_landscape(tuple(sorted(cfg.items())), run, span)
        st.plotly_chart(landscape_figure(xs, ys, Z), theme=None, width="stretch")


def comparison_section(cfg: dict) -> None:
    st.header("Common advice about this network, put to the test")
    st.markdown(
        f"The grid trains **{', '.join(netlab.GRID_ACTIVATIONS)}** with "
        f"**H = {' and '.join(map(str, netlab.GRID_HIDDEN))}** units and "
        f"**{' and '.join(netlab.GRID_OPTIMIZERS)}**, each (activation, optimizer) at the "
        "learning rate that succeeded most often in a sweep on seeds 0-63 (column *lr*). It "
        f"then trains every configuration from the **same seeds** (from "
        f"{netlab.GRID_SEED_START} on, apart from the tuning seeds): the same data and, for a "
        "given H, the same initial weights. So two configurations compare seed by seed (exact "
        "McNemar test on the seeds where only one of them succeeds). *Valley or worse* is the "
        "share of runs that end at or above half the valley's MSE."
    )
    c1, c2 = st.columns(2)
    seeds = c1.select_slider("Seeds", SEED_CHOICES, value=64, key="nl_grid_seeds")
    steps = c2.select_slider("Steps", GRID_STEP_CHOICES, value=2000, key="nl_grid_steps")
    if st.button("Run the comparison", key="nl_grid_run", type="primary"):
        st.session_state["nl_grid_shown"] = True
    if not st.session_state.get("nl_grid_shown"):
        st.info(
            f"Trains {len(netlab.make_grid())} configurations: a minute or two on a small "
            "server; results are cached."
        )
        return
    records, claims = cached_comparison(seeds, steps, cfg["n_points"], cfg["domain"])
    st.plotly_chart(comparison_figure(records), theme=None, width="stretch")
    st.dataframe(
        [{k: v for k, v in r.items() if k not in ("ci_low", "ci_high")} for r in records],
        hide_index=True,
        width="stretch",
        column_config={
            "success rate": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0),
            "valley or worse": st.column_config.NumberColumn(format="percent"),
            "median final MSE": st.column_config.NumberColumn(format="%.2e"),
        },
    )
    st.subheader("Verdicts, computed from the table above")
    st.markdown(
        "Each claim is tested on two outcomes per seed: reaching the success threshold "
        "(a pyramid-quality fit) and escaping the valley (ending below half the valley's MSE). "
        "A smooth activation can escape the valley yet still be short of the threshold when "
        "the steps run out. With Adam the activations run at different learning rates (their "
        "own best), so an activation's effect and its learning rate's come together here; "
        "docs/netlab_results.md also compares them at a shared learning rate."
    )
    for claim in claims:
        source = SOURCE_WORDS.get(claim["source"], claim["source"])
        st.markdown(f"**{claim['claim']}** *({source})*  \n{claim['verdict']}")
        with st.expander("What was measured"):
            st.caption(claim["measurement"])
    st.caption(
        "Verdicts use the 5% level over the seeds of this grid (exact McNemar or sign tests); "
        "change seeds or steps and they are recomputed."
    )


def main() -> None:
    st.set_page_config(page_title="Descent: network lab", layout="wide")
    st.title("Network lab: can three ReLUs learn |x + iy|?")
    st.markdown(
        "A network with 2 inputs, H hidden units and 1 output learns the distance "
        "sqrt(x^2 + y^2) from points in a disc. Three ReLUs *can* make a good cone (a "
        "hexagonal pyramid), yet the question's network usually got stuck in a *valley*. Here "
        "many random initializations train at once with the optimizer you pick: count how "
        "often they get stuck, and look inside the runs that did."
    )
    cfg = sidebar()
    picked = run_section(cfg)
    landscape_section(cfg, picked)
    comparison_section(cfg)


if __name__ == "__main__":
    main()
