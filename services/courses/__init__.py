"""Courses: the catalog (courses, modules, participants, enrollments), reading import files
(moodle: Moodle's CSVs and the app's own columns) and applying them (imports)."""
