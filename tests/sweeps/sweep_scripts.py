"""Training scripts the sweep tests run."""

DIGITS_TRAIN = """
import argparse, os, pickle
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from runlab import Run

parser = argparse.ArgumentParser()
parser.add_argument("--regularization", type=float, default=1.0)
args = parser.parse_args()
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, random_state=0)
model = LogisticRegression(C=1.0 / args.regularization, max_iter=200)
model.fit(X_train, y_train)
run = Run.get_context()
run.log("regularization", args.regularization)
run.log("accuracy", float(model.score(X_test, y_test)))
print("accuracy with", args.regularization, model.score(X_test, y_test), flush=True)
os.makedirs("outputs", exist_ok=True)
with open("outputs/model.pkl", "wb") as handle:
    pickle.dump(model, handle)
"""

CURVE_TRAIN = """
import argparse, time
from runlab import Run

parser = argparse.ArgumentParser()
parser.add_argument("--quality", type=float)
parser.add_argument("--intervals", type=int, default=8)
args = parser.parse_args()
run = Run.get_context()
pause = 0.15 if args.quality > 0.5 else 0.5  # the bad ones are also slower
for interval in range(args.intervals):
    run.log("accuracy", args.quality + 0.01 * interval)
    run.flush()
    time.sleep(pause)
"""

SLEEPY_TRAIN = """
import argparse, time
from runlab import Run

parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
parser.add_argument("--seconds", type=float, default=1.0)
args = parser.parse_args()
time.sleep(args.seconds)
Run.get_context().log("score", -(args.x - 0.3) ** 2)
"""

QUADRATIC = """
import argparse
from runlab import Run

parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
parser.add_argument("--y", type=float)
args = parser.parse_args()
Run.get_context().log("loss", (args.x - 0.71) ** 2 + (args.y + 0.23) ** 2)
"""
