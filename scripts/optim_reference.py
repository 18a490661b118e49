#!/usr/bin/python3
"""Writes PyTorch 1.13 reference values for the training tests (run with Debian's /usr/bin/python3).

    optim_reference.py IN.json OUT.json

IN is {"cases": [...]}; OUT is {"results": [...]}, one result per case, in order. Values travel
as JSON numbers: every float32 is exactly a double, so nothing is rounded on the way.

  {"kind": "optimizer", "optimizer": "sgd" | "adamw", "hyper": {...}, "params": [{"name", "shape",
   "values", "decay"}], "grads": [[values or null, per param], per step], "one_cycle": {...} or absent}
      torch.optim.SGD / AdamW over two groups (decayed, weight_decay 0), optionally driven by
      OneCycleLR; -> {"params": [[values per param] per step], "state": {"<slot>.<name>": values}}
  {"kind": "schedule", "schedule": {"kind", ...} as lucid writes it, "steps": N, "optimizer"}
      the torch scheduler it stands for, stepped once per update -> {"lr": [N], "momentum": [N]}
  {"kind": "clip", "grads": [{"shape", "values"}], "max_norm"}
      torch.nn.utils.clip_grad_norm_ -> {"norm", "grads": [values]}
  {"kind": "ema", "decay", "shape", "init", "updates": [values per step]}
      timm ModelEmaV2's update of one parameter -> {"ema": [values per step]}
"""
import json
import os
import sys

import torch
from torch.optim import lr_scheduler


def tensor(shape, values):
    return torch.tensor(values, dtype=torch.float32).reshape(shape)


def flat(t):
    return t.detach().reshape(-1).tolist()


def make_optimizer(kind, groups, hyper):
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=hyper["lr"], momentum=hyper["momentum"], dampening=hyper["dampening"],
                               nesterov=hyper["nesterov"])
    return torch.optim.AdamW(groups, lr=hyper["lr"], betas=(hyper["beta1"], hyper["beta2"]), eps=hyper["eps"])


def one_cycle(optimizer, s):
    return lr_scheduler.OneCycleLR(optimizer, max_lr=s["max_lr"], total_steps=s["total_steps"],
                                   pct_start=s["pct_start"], anneal_strategy="cos",
                                   cycle_momentum=s["cycle_momentum"], base_momentum=s["base_momentum"],
                                   max_momentum=s["max_momentum"], div_factor=s["div_factor"],
                                   final_div_factor=s["final_div_factor"], three_phase=False)


def optimizer_case(case):
    params = [tensor(p["shape"], p["values"]).requires_grad_() for p in case["params"]]
    hyper = case["hyper"]
    decayed = [p for p, spec in zip(params, case["params"]) if spec["decay"]]
    undecayed = [p for p, spec in zip(params, case["params"]) if not spec["decay"]]
    groups = [g for g in ({"params": decayed, "weight_decay": hyper["weight_decay"]},
                          {"params": undecayed, "weight_decay": 0.0}) if g["params"]]
    optimizer = make_optimizer(case["optimizer"], groups, hyper)
    scheduler = one_cycle(optimizer, case["one_cycle"]) if "one_cycle" in case else None
    history = []
    for grads in case["grads"]:
        for p, spec, g in zip(params, case["params"], grads):
            p.grad = None if g is None else tensor(spec["shape"], g)
        optimizer.step()
        if scheduler:
            scheduler.step()
        history.append([flat(p) for p in params])
    state = {}
    for p, spec in zip(params, case["params"]):
        for slot, value in optimizer.state[p].items():
            if value is not None:
                state[f"{slot}.{spec['name']}"] = flat(value) if value.dim() > 0 else [value.item()]
    return {"params": history, "state": state}


def schedule_case(case):
    s = case["schedule"]
    p = torch.zeros(1, requires_grad=True)
    if case["optimizer"] == "sgd":
        optimizer = torch.optim.SGD([p], lr=s.get("lr", 0.1), momentum=0.9)
    else:
        optimizer = torch.optim.AdamW([p], lr=s.get("lr", 0.1))
    per_epoch = 1
    if s["kind"] == "step":
        scheduler = lr_scheduler.StepLR(optimizer, step_size=s["step_size"], gamma=s["gamma"])
        per_epoch = s["steps_per_epoch"]
    elif s["kind"] == "warmup_cosine":
        warm, total = s["warmup_steps"], s["total_steps"]
        cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=total - warm, eta_min=s["min_lr"])
        if warm == 0:
            scheduler = cosine
        else:
            linear = lr_scheduler.LinearLR(optimizer, start_factor=s["warmup_start_factor"], end_factor=1.0,
                                           total_iters=warm)
            scheduler = lr_scheduler.SequentialLR(optimizer, [linear, cosine], milestones=[warm])
    else:
        scheduler = one_cycle(optimizer, s)
    lrs, momentums = [], []
    for i in range(case["steps"]):
        group = optimizer.param_groups[0]
        lrs.append(group["lr"])
        momentums.append(group["momentum"] if "momentum" in group else group["betas"][0])
        optimizer.step()
        if (i + 1) % per_epoch == 0:
            scheduler.step()
    return {"lr": lrs, "momentum": momentums}


def clip_case(case):
    params = []
    for g in case["grads"]:
        p = torch.zeros(g["shape"], requires_grad=True)
        p.grad = tensor(g["shape"], g["values"])
        params.append(p)
    norm = torch.nn.utils.clip_grad_norm_(params, case["max_norm"])
    return {"norm": norm.item(), "grads": [flat(p.grad) for p in params]}


def ema_case(case):
    decay = case["decay"]
    ema = tensor(case["shape"], case["init"])
    history = []
    for values in case["updates"]:
        model_v = tensor(case["shape"], values)
        ema.copy_(ema * decay + (1. - decay) * model_v)  # timm.utils.model_ema.ModelEmaV2.update
        history.append(flat(ema))
    return {"ema": history}


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    run = {"optimizer": optimizer_case, "schedule": schedule_case, "clip": clip_case, "ema": ema_case}
    results = [run[case["kind"]](case) for case in cases]
    tmp = sys.argv[2] + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"results": results}, f)
    os.replace(tmp, sys.argv[2])


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
