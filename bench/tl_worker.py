#!/usr/bin/env python3
"""The TransformerLens (or Hugging Face) side of `npm run bench -- --compare tl`: one process, one round.

    .venv-bench/bin/python bench/tl_worker.py JOB.json

JOB.json (written by bench/compare.js) names the model folder (a Hugging Face GPT-2 folder), the token ids, the
thread count, the repeats and what to measure. With "side": "tl" the folder is loaded into TransformerLens 3.9's
HookedTransformer as its from_pretrained does for GPT-2 (the Hugging Face model, convert_gpt2_weights, then
load_and_process_state_dict with fold_ln, centred writing weights and unembedding, folded value biases: the same
processing as tslens's loadModel); with "side": "hf" only Hugging Face's plain forward is timed (the floor).

Prints one JSON object on stdout: times in ms (median of the repeats after warm-ups), load time, peak RSS, and the
paths of files it wrote for the orchestrator's fidelity checks (1×128 logits, the patching grid).
"""

from __future__ import annotations

import gc
import json
import os
import resource
import statistics
import sys
import time


def main() -> None:
    job = json.load(open(sys.argv[1]))
    threads = int(job["threads"])
    import torch

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(int(job["interopThreads"]))
    torch.set_grad_enabled(False)
    from transformers import GPT2LMHeadModel

    device = os.environ.get("BENCH_TORCH_DEVICE", "cpu")  # bench/gpu.sh sets cuda when torch sees a GPU
    out: dict = {"side": job["side"], "torch": torch.__version__, "threads": torch.get_num_threads(), "device": device}
    tokens_all = torch.tensor([job["tokens"]], dtype=torch.long, device=device)  # [1, 1024]

    out["cpuMs"] = {}

    def timed(key: str, fn, repeats: int, warmups: int = 2) -> None:
        """out[key]: median wall ms of the repeats after the warm-ups (as on the tslens side); cpuMs[key]: CPU ms."""
        sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
        for _ in range(warmups):
            fn()
        ms, cpu = [], []
        for _ in range(repeats):
            sync()
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            sync()
            ms.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        out[key] = round(statistics.median(ms), 1)
        out["cpuMs"][key] = round(statistics.median(cpu), 1)

    start = time.perf_counter()
    hf = GPT2LMHeadModel.from_pretrained(job["folder"], dtype=torch.float32).eval().to(device)
    if job["side"] == "hf":
        out["loadMs"] = round((time.perf_counter() - start) * 1000)
        for n in job["lengths"]:
            tokens = tokens_all[:, :n]
            timed(f"forward_1x{n}", lambda: hf(tokens).logits, job["repeats"][str(n)])
        out["peakRssMB"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(json.dumps(out))
        return

    import transformer_lens
    from transformer_lens import HookedTransformer, HookedTransformerConfig
    from transformer_lens.pretrained.weight_conversions.gpt2 import convert_gpt2_weights

    c = hf.config
    cfg = HookedTransformerConfig(
        n_layers=c.n_layer, d_model=c.n_embd, n_heads=c.n_head, d_head=c.n_embd // c.n_head, d_mlp=4 * c.n_embd,
        d_vocab=c.vocab_size, n_ctx=c.n_positions, act_fn=c.activation_function, normalization_type="LN",
        eps=c.layer_norm_epsilon, default_prepend_bos=False, dtype=torch.float32, device=device,
        original_architecture="GPT2LMHeadModel",
    )
    model = HookedTransformer(cfg)
    model.load_and_process_state_dict(
        convert_gpt2_weights(hf, cfg), fold_ln=True, center_writing_weights=True, center_unembed=True,
        fold_value_biases=True,
    )
    model.eval()
    del hf
    gc.collect()
    out["loadMs"] = round((time.perf_counter() - start) * 1000)
    out["transformerLens"] = transformer_lens.__version__ if hasattr(transformer_lens, "__version__") else "3.9"

    if job.get("writeLogits"):
        logits = model(tokens_all[:, :128])  # [1, 128, d_vocab]
        logits.cpu().numpy().astype("float32").tofile(job["writeLogits"])

    # Calibration: one fp32 1024x1024 product, the library's raw speed on this CPU (as on the tslens side).
    ma, mb = torch.randn(1024, 1024, device=device), torch.randn(1024, 1024, device=device)
    timed("sgemm1024", lambda: ma @ mb, 10)
    is_pattern = lambda name: name.endswith("hook_pattern")  # noqa: E731
    for n in job["lengths"]:
        tokens = tokens_all[:, :n]
        reps = job["repeats"][str(n)]
        timed(f"forward_1x{n}", lambda: model(tokens), reps)
        timed(f"forwardWithFullCache_1x{n}", lambda: model.run_with_cache(tokens), reps)
        timed(f"runWithCachePatterns_1x{n}", lambda: model.run_with_cache(tokens, names_filter=is_pattern), reps)

    gen = job["generate"]
    if gen:
        prompt = tokens_all[:, : gen["prompt"]]
        generate = lambda: model.generate(  # noqa: E731
            prompt, max_new_tokens=gen["newTokens"], do_sample=False, use_past_kv_cache=True, stop_at_eos=False,
            verbose=False, return_type="tokens",
        )
        out["generatedTokens"] = generate()[0, gen["prompt"]:].tolist()  # also the warm-up
        timed("generate64", generate, gen["repeats"], warmups=0)

    patch = job["patching"]
    if patch:
        from transformer_lens import patching

        p = patch["pos"]
        clean = tokens_all[:, :p]
        corrupted = clean.clone()
        corrupted[0, patch["corruptAt"]] = (corrupted[0, patch["corruptAt"]] + 1) % c.vocab_size
        answer, wrong = patch["answer"], patch["wrong"]
        metric = lambda logits: logits[0, -1, answer] - logits[0, -1, wrong]  # noqa: E731
        _, clean_cache = model.run_with_cache(clean)
        start = time.perf_counter()
        grid = patching.get_act_patch_resid_pre(model, corrupted, clean_cache, metric)  # [layers, pos]
        out["patchResidPre"] = round((time.perf_counter() - start) * 1000, 1)
        out["patchGrid"] = grid.flatten().tolist()
        del clean_cache

    out["peakRssMB"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out))


if __name__ == "__main__":
    os.environ.setdefault("TQDM_DISABLE", "1")
    main()
