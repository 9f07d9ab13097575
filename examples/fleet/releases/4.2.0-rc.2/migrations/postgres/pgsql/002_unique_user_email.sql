-- Fails while two users share an address (the legacy 'alice-old' account).
-- Repair: DELETE FROM users WHERE username = 'alice-old'; then `mi2 instance db repair`.
DELETE FROM user_emails WHERE user_id NOT IN (SELECT id FROM users);
CREATE UNIQUE INDEX users_email_unique ON users (email);
