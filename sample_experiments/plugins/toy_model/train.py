"""A training stand-in that takes no time: a noisy quadratic bowl over a few steps.

Reads config.json (lr, layers, optimizer) from the working directory and writes
val_dict_list.json into RESULT_DIR, as every hpotui and WML-A trial does.
"""

import json
import math
import os

with open("config.json") as config_file:
    config = json.load(config_file)
lr = float(config["lr"])
layers = int(config["layers"])
penalty = {"adam": 0.0, "sgd": 0.05, "rmsprop": 0.02}[config["optimizer"]]
best = (math.log10(lr) + 2.5) ** 2 / 4 + (layers - 3) ** 2 / 10 + penalty

records = [{"steps": step, "loss": round(best + 1.0 / step, 6)} for step in range(1, 6)]
result_dir = os.environ.get("RESULT_DIR", ".")
with open(os.path.join(result_dir, "val_dict_list.json"), "w") as out:
    json.dump(records, out)
