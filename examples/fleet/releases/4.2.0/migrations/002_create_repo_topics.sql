CREATE TABLE IF NOT EXISTS repo_topics (
  repo_id INTEGER NOT NULL REFERENCES repos(id),
  topic TEXT NOT NULL,
  PRIMARY KEY (repo_id, topic)
);
