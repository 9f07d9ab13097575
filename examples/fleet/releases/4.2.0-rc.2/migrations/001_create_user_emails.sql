CREATE TABLE user_emails (
  user_id INTEGER NOT NULL REFERENCES users(id),
  email TEXT NOT NULL,
  verified INTEGER NOT NULL DEFAULT 0
);
INSERT INTO user_emails (user_id, email, verified) SELECT id, email, 1 FROM users;
