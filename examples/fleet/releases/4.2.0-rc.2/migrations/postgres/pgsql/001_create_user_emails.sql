-- ON DELETE CASCADE, so the repair of 002 (deleting the legacy user) takes its address along.
CREATE TABLE user_emails (
  user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email text NOT NULL,
  verified boolean NOT NULL DEFAULT false
);
INSERT INTO user_emails (user_id, email, verified) SELECT id, email, true FROM users;
