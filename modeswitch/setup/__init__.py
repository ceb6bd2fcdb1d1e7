"""`modeswitch init`: find the user's real devices, propose modes that name them, write them.

discover (side effects, injectable roots and URI) → propose (pure ranking) → files (render
commented YAML, write without clobbering).
"""
