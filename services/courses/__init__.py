"""Courses: the catalog (courses, modules, participants, enrollments: reads and creation),
changes (edits, archiving, statuses), the module progress grid, tables for the pages,
reading import files (moodle and the import_* modules it uses) and applying them (imports)."""
