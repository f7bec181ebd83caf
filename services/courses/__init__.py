"""Courses: the catalog, modules, participants and enrollments, and imports (Moodle, CSV, XLSX)."""
