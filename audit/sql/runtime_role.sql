-- The application's runtime database role (production): it can read and write the clinical
-- tables but can only INSERT into and SELECT from the audit trail and the emergency-access
-- grants, the disclosures and the pre-sign edit history of notes, and it owns nothing, so it
-- cannot ALTER TABLE ... DISABLE TRIGGER either.
-- Run as the migration owner after every `manage.py migrate` (new tables need the grants).
-- Replace ipnb_app with the runtime role's name; create it once with
--   CREATE ROLE ipnb_app LOGIN PASSWORD '...';
GRANT USAGE ON SCHEMA public TO ipnb_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ipnb_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ipnb_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent FROM ipnb_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_emergencyaccess FROM ipnb_app;
REVOKE UPDATE, DELETE, TRUNCATE ON disclosures_disclosure FROM ipnb_app;
REVOKE DELETE, TRUNCATE ON disclosures_authorization FROM ipnb_app;
REVOKE UPDATE, DELETE, TRUNCATE ON therapy_sessions_noterevision FROM ipnb_app;
