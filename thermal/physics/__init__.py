"""Physics that does not depend on the grid: orbit geometry and view factors, fluid properties
(CoolProp), heat-pipe correlations and limits, closed-form references."""
