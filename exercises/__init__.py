"""The exercises of the course, one module each, every unit's; course.yaml lists which modules make up each unit."""
