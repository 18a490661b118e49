#!/usr/bin/python3
"""Writes torch.save checkpoints for tests/io/torch_checkpoint_test.cpp (run with Debian's python3-torch).

Into OUT: every kind of checkpoint the reader must load (NAME.pth) with the expected tensors as
safetensors (NAME.expected.safetensors), files it must refuse, and malicious pickles whose payload
would create OUT/pwned. Test processes running at once share one OUT: the first writes it (into a
temporary folder, renamed when done) while the others wait on a lock; an existing OUT is kept.
"""
import collections
import fcntl
import os
import pickle
import shutil
import sys
import zipfile

# torch, torchvision and make_golden are imported in write(): test processes that only wait for
# the files never pay for them.


class Payload:
    """Pickles as a call of fn(arg): what a malicious checkpoint does."""

    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return self.fn, (self.arg,)


def rewrite_zip(src, dst, pickle_bytes=None, drop_pickle=False, compression=zipfile.ZIP_STORED):
    """A copy of a torch.save archive with data.pkl replaced or dropped, or every entry compressed."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith("/data.pkl"):
                if drop_pickle:
                    continue
                if pickle_bytes is not None:
                    data = pickle_bytes
            zout.writestr(info.filename, data)


def state_dict_after_one_step(torch, ResNet, Bottleneck):
    torch.manual_seed(0)
    model = ResNet(Bottleneck, [1, 1, 1, 1], num_classes=10, groups=4, width_per_group=4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 3, 32, 32)).logsumexp(1).sum().backward()  # train mode: BN statistics move too
    optimizer.step()
    return model.state_dict(), optimizer.state_dict()


def write(out, pwned):
    import torch
    from torchvision.models.resnet import Bottleneck, ResNet
    sys.path.insert(0, os.path.dirname(__file__))
    from make_golden import save_safetensors

    def path(name):
        return os.path.join(out, name)

    # The state dict family shares state_dict.expected.safetensors (dataparallel: with "module.").
    sd, optimizer = state_dict_after_one_step(torch, ResNet, Bottleneck)
    save_safetensors(path("state_dict.expected.safetensors"), sd)
    torch.save(sd, path("state_dict.pth"))
    torch.save(sd, path("protocol4.pth"), pickle_protocol=4)
    torch.save(collections.OrderedDict(("module." + k, v) for k, v in sd.items()), path("dataparallel.pth"))
    extras = {"best_acc": 0.75, "big": 2**40, "negative": -70000, "args": ["resnext", 1, None, True, (2, 3)]}
    torch.save({"state_dict": sd, "epoch": 3, "optimizer": optimizer, **extras}, path("training.pth"))
    torch.save({"epoch": 3, "model": sd}, path("model_key.pth"))
    rewrite_zip(path("state_dict.pth"), path("state_dict_deflated.pth"), compression=zipfile.ZIP_DEFLATED)
    for name, dtype in (("half", torch.float16), ("bfloat16", torch.bfloat16)):
        low = collections.OrderedDict((k, v.to(dtype) if v.is_floating_point() else v) for k, v in sd.items())
        torch.save(low, path(name + ".pth"))
        save_safetensors(path(name + ".expected.safetensors"), low)

    # Views of shared storages: a and b share one, rows starts 6 elements into another.
    base = torch.arange(10.0)
    matrix = torch.arange(24.0).reshape(4, 6)
    views = {"a": base[2:5], "b": base[5:], "rows": matrix[1:3], "scalar": torch.tensor(2.5), "empty": torch.zeros(0, 3)}
    save_safetensors(path("views.expected.safetensors"), {k: v.clone() for k, v in views.items()})
    torch.save({**views, "column": matrix[:, 1], "double": torch.ones(3, dtype=torch.float64)}, path("views.pth"))
    rewrite_zip(path("views.pth"), path("views_deflated.pth"), compression=zipfile.ZIP_DEFLATED)

    torch.save(views, path("legacy.pth"), _use_new_zipfile_serialization=False)
    rewrite_zip(path("views.pth"), path("no_pickle.pth"), drop_pickle=True)

    # The payloads would create pwned: they must never run, here or in the reader.
    evil = {
        "evil_system": pickle.dumps(Payload(os.system, "touch " + pwned), protocol=2),  # GLOBAL 'posix system'
        "evil_eval": pickle.dumps(Payload(eval, f"open({pwned!r}, 'w')"), protocol=4),  # STACK_GLOBAL builtins eval
    }
    for name, payload in evil.items():
        rewrite_zip(path("views.pth"), path(name + ".pth"), pickle_bytes=payload)
        with open(path(name + ".pkl"), "wb") as f:
            f.write(payload)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_checkpoints.py OUT")
    out = os.path.abspath(sys.argv[1])
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one writer; the others wait, then find OUT done
        if os.path.isdir(out):
            return
        tmp = out + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        write(tmp, os.path.join(out, "pwned"))
        os.rename(tmp, out)  # a crash leaves no half-written OUT behind


if __name__ == "__main__":
    main()
