"""The ground floor: config, records, store, errors, paths, text rules, model resolution.

Everything else imports from here; nothing here imports a stage, a report or a flow."""
