-- The application's runtime database role (production): it can read and write the clinical
-- tables but can only INSERT into and SELECT from the audit trail (events and their seals),
-- the emergency-access grants, the disclosures and the pre-sign edit history of notes, and it owns nothing, so it
-- cannot ALTER TABLE ... DISABLE TRIGGER either.
-- The one home of these grants: `manage.py grant_runtime_role <role>` runs them, as the
-- tables' owner, after every `manage.py migrate` (new tables need the grants); docker compose's
-- migrate service does exactly that. ipnb_app stands for the runtime role's name. One
-- statement per line. ops/postgres/initdb/ creates the roles.
GRANT USAGE ON SCHEMA public TO ipnb_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ipnb_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ipnb_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent FROM ipnb_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditseal FROM ipnb_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_emergencyaccess FROM ipnb_app;
REVOKE UPDATE, DELETE, TRUNCATE ON disclosures_disclosure FROM ipnb_app;
REVOKE DELETE, TRUNCATE ON disclosures_authorization FROM ipnb_app;
REVOKE UPDATE, DELETE, TRUNCATE ON therapy_sessions_noterevision FROM ipnb_app;
