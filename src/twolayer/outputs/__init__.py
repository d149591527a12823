"""Everything a run leaves behind: model files, history files, plots, metrics and printed
lines, and the callbacks that write them during training.

Nothing is re-exported here, so ``import twolayer`` stays light: each module is imported where
it is used (the plots need matplotlib, the progress bar tqdm, both optional extras).
"""
