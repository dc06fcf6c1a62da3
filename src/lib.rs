//! mentor-match: keeps the banks of mentors and mentees, scores every
//! possible pair, proposes optimal pairs and groups, and explains them.

pub mod domain;
