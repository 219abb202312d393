"""groundup.optim: optimizers and learning-rate schedules with PyTorch's names, defaults,
update rules and state_dict layout."""

from groundup.optim import lr_scheduler
from groundup.optim.adagrad import Adagrad
from groundup.optim.adam import Adam, AdamW
from groundup.optim.optimizer import Optimizer
from groundup.optim.rmsprop import RMSprop
from groundup.optim.sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
