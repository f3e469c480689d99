"""Band Coach's built-in plugins: the exercise library, the four routines and the coaching words."""
