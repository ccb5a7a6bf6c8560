"""Build: the model -> an immutable network (mesh, nodes, links, heat pipes) and its environment over time."""
