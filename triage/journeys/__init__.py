"""The guest journey in reviews: touchpoints, departments, their figures over time."""
