"""Every prompt and message of `groundup lab drill|interview|progress|export`, in English
and Korean.

`TEXTS[lang][key]` is a `str.format` template; both languages have the same keys and the
same fields (a test checks it). The Korean uses one word per concept throughout:

    card 카드 · question 질문 · model answer 모범 답안 · key point 핵심 · common mistake
    흔한 실수 · follow-up 꼬리 질문 · experiment 실험 · grade 평가 · review 복습 · due
    복습 예정 · new card 새 카드 · chain 체인 · depth 깊이 · topic 주제 · retrievability
    회상 확률 · streak 연속 학습 · mock interview 모의 면접 · database 데이터베이스

The grades keep their English keywords (what the user types: again, hard, good, easy, or
1-4), shown beside their Korean names; Korean names are accepted as input too.
"""

from __future__ import annotations

from typing import Any

LANGS: tuple[str, ...] = ("en", "ko")

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        # ------------------------------------------------------------ a card
        "diff_easy": "easy",
        "diff_medium": "medium",
        "diff_hard": "hard",
        "tag_new": "new",
        "tag_due": "due",
        "tag_follow_up": "follow-up of {parent}",
        "answer_prompt": "your answer> ",
        "answer_heading": "Answer",
        "key_points_heading": "Key points",
        "mistake_heading": "Common mistake",
        "points_prompt": "points you hit (e.g. 1 3; Enter for none)> ",
        "points_again": "type the numbers (1-{n}) of the points you hit, e.g. 1 3, or just Enter",
        "grade_prompt": "grade: again, hard, good, easy (1-4)> ",
        "grade_again": "a grade is one of again, hard, good, easy, or 1-4",
        "grade_1": "again",
        "grade_2": "hard",
        "grade_3": "good",
        "grade_4": "easy",
        "graded": "{grade}: next review in {days} ({date})",
        "days": "{n} days",
        "day": "1 day",
        # ------------------------------------------------------------ drill
        "drill_intro": "{due} due, {new} new · type your answer or just press Enter · "
        "Ctrl-D ends the session",
        "follow_up_intro": "The interviewer digs deeper:",
        "experiment_offer": "{eid} shows this answer at work: r runs it (quick size), "
        "Enter skips> ",
        "experiment_offer_again": "r runs the experiment, Enter skips",
        "experiment_more": "more experiments: groundup lab run {qid}",
        "experiment_running": "running {eid} (quick size)...",
        "experiment_claims": "{eid}: {held} of {total} claims hold ({seconds:.1f} s)",
        "experiment_failed": "{eid} could not run: {detail}",
        "nothing_due": "Nothing to drill now: no card is due and today's new cards "
        "({limit}) are done.",
        "next_due": "Next card due {date} ({qid}).",
        "more_new": "More new cards today: --new N.",
        "all_done": "All done for today.",
        "drill_summary": "Drill over: {n} cards (again {again} · hard {hard} · good {good} · "
        "easy {easy}); {tomorrow} due tomorrow.",
        "drill_summary_empty": "Drill over: no card graded.",
        # ------------------------------------------------------------ interview
        "interview_intro": "Mock interview: {minutes} min, {chains} chains to choose from. "
        "Answer as you would aloud, then grade yourself; again or hard ends a chain.",
        "interview_header": "chain {chain} · depth {depth} of {max}",
        "time_up": "Time is up.",
        "interview_summary": "Mock interview over: {chains} chains, {questions} questions, "
        "{minutes} min.",
        "interview_empty": "Mock interview over: no question answered.",
        "chain_row": "depth {depth} of {max}",
        "chain_complete": "complete",
        "chain_missed": "broke at {qid} ({grade})",
        "chain_time": "stopped by the clock",
        "chain_stopped": "stopped",
        "review_list": "To review: {ids} (groundup lab show ID)",
        "review_none": "Nothing to review: every chain held.",
        # ------------------------------------------------------------ progress
        "col_topic": "topic",
        "col_seen": "seen",
        "col_due": "due today",
        "col_grade": "mean grade",
        "col_recall": "recall",
        "total": "total",
        "streak": "streak: {days} · reviews today: {today} · all reviews: {total}",
        "interviews_heading": "Mock interviews:",
        "interview_row": "{day}  {chains} chains  mean depth {mean:.1f}  deepest {deepest}",
        "no_interviews": "Mock interviews: none yet (groundup lab interview).",
        "retired": "{n} cards of questions no longer in the bank keep their history: {ids}",
        "figure_saved": "figure: {path}",
        "no_history": "No practice yet in {path}: start with groundup lab drill.",
        # ------------------------------------------------------------ export
        "exported_anki": "wrote {path}: {notes} notes in deck '{deck}' (importing it again "
        "updates them)",
        "exported_csv": "wrote {path}: {rows} reviews",
        "exported_markdown": "wrote {path}: {questions} questions",
        "history_none": "not reviewed yet",
        "history_head": "{n} reviews, next due {due}",
        "follow_up_of": "Follow-up of",
        "follow_ups": "Follow-ups",
        "history": "History",
        # ------------------------------------------------------------ errors
        "unknown_topic": "no topic '{topic}'; did you mean {hints}?",
        "unknown_topic_list": "no topic '{topic}'; topics are {topics}",
        "no_match": "no question matches {filters}",
        "db_locked": "{path} is locked by another groundup session; try again in a moment",
        "db_readonly": "{path} is read-only, so grades cannot be saved; make it writable or "
        "pass another --db",
        "db_full": "{path}: the disk is full; the last grade was not saved, every earlier one is",
        "db_corrupt": "{path} is damaged ({detail}); it was left as it is: restore a backup "
        "or pass another --db",
        "db_not_sqlite": "{path} is not an SQLite database; it was left as it is: pass "
        "another --db",
        "db_foreign": "{path} is another program's SQLite database (no groundup practice "
        "schema); it was left as it is: pass another --db",
        "db_newer": "{path} was written by a newer groundup (schema {version}; this one knows "
        "up to {known}); upgrade groundup",
        "db_cannot_open": "cannot open {path}",
        "db_is_folder": "{path} is a folder; --db takes a file",
        "db_missing": "no practice history in {path} yet: start with groundup lab drill",
        "db_error": "{path}: database error: {detail}",
        "out_exists": "{path} exists; pass --overwrite to replace it",
        "out_is_folder": "{path} is a folder; --out takes a file name",
        "write_full": "{path}: the disk is full; nothing was written",
        "write_failed": "{path}: cannot write ({detail}); nothing was written",
    },
    "ko": {
        "diff_easy": "난이도 하",
        "diff_medium": "난이도 중",
        "diff_hard": "난이도 상",
        "tag_new": "새 카드",
        "tag_due": "복습 예정",
        "tag_follow_up": "{parent}의 꼬리 질문",
        "answer_prompt": "내 답> ",
        "answer_heading": "모범 답안",
        "key_points_heading": "핵심",
        "mistake_heading": "흔한 실수",
        "points_prompt": "맞힌 핵심 번호 (예: 1 3, 없으면 Enter)> ",
        "points_again": "맞힌 핵심의 번호(1-{n})를 입력하세요. 예: 1 3. 없으면 Enter만 누르세요",
        "grade_prompt": "평가: again 다시, hard 어려움, good 좋음, easy 쉬움 (1-4)> ",
        "grade_again": "평가는 again, hard, good, easy 또는 1-4 중 하나입니다",
        "grade_1": "다시",
        "grade_2": "어려움",
        "grade_3": "좋음",
        "grade_4": "쉬움",
        "graded": "{grade}: {days} 뒤({date})에 다시 복습합니다",
        "days": "{n}일",
        "day": "1일",
        "drill_intro": "복습 예정 {due}장, 새 카드 {new}장 · 답을 입력하거나 Enter만 누르세요 · "
        "Ctrl-D로 끝냅니다",
        "follow_up_intro": "면접관이 꼬리 질문을 이어 갑니다:",
        "experiment_offer": "{eid} 실험이 이 답을 직접 보여 줍니다: r 실행(quick 크기), "
        "Enter 건너뛰기> ",
        "experiment_offer_again": "r을 입력하면 실험을 실행하고, Enter만 누르면 건너뜁니다",
        "experiment_more": "다른 실험도 보려면: groundup lab run {qid}",
        "experiment_running": "{eid} 실험 실행 중(quick 크기)...",
        "experiment_claims": "{eid}: 주장 {total}개 중 {held}개 성립 ({seconds:.1f}초)",
        "experiment_failed": "{eid} 실험을 실행하지 못했습니다: {detail}",
        "nothing_due": "지금 복습할 카드가 없습니다. 복습 예정 카드가 없고 "
        "오늘의 새 카드({limit}장)도 모두 보았습니다.",
        "next_due": "다음 복습 예정: {date} ({qid}).",
        "more_new": "새 카드를 더 보려면: --new N.",
        "all_done": "오늘 분량을 모두 마쳤습니다.",
        "drill_summary": "복습 끝: 카드 {n}장 (다시 {again} · 어려움 {hard} · 좋음 {good} · "
        "쉬움 {easy}), 내일 복습 예정 {tomorrow}장.",
        "drill_summary_empty": "복습 끝: 평가한 카드가 없습니다.",
        "interview_intro": "모의 면접: {minutes}분, 체인 {chains}개 중에서 묻습니다. "
        "소리 내어 답하듯 적은 뒤 스스로 평가하세요. again이나 hard가 나오면 그 체인은 끝납니다.",
        "interview_header": "체인 {chain} · 깊이 {depth}/{max}",
        "time_up": "시간이 다 됐습니다.",
        "interview_summary": "모의 면접 끝: 체인 {chains}개, 질문 {questions}개, {minutes}분.",
        "interview_empty": "모의 면접 끝: 답한 질문이 없습니다.",
        "chain_row": "깊이 {depth}/{max}",
        "chain_complete": "끝까지 답함",
        "chain_missed": "{qid}에서 막힘 ({grade})",
        "chain_time": "시간 종료로 멈춤",
        "chain_stopped": "중단",
        "review_list": "복습할 질문: {ids} (groundup lab show ID)",
        "review_none": "복습할 질문 없음: 모든 체인을 버텼습니다.",
        "col_topic": "주제",
        "col_seen": "본 카드",
        "col_due": "오늘 복습 예정",
        "col_grade": "평균 평가",
        "col_recall": "회상 확률",
        "total": "전체",
        "streak": "연속 학습: {days} · 오늘 복습: {today}건 · 전체 복습: {total}건",
        "interviews_heading": "모의 면접:",
        "interview_row": "{day}  체인 {chains}개  평균 깊이 {mean:.1f}  최대 깊이 {deepest}",
        "no_interviews": "모의 면접: 아직 없음 (groundup lab interview).",
        "retired": "문제은행에서 빠진 질문의 카드 {n}장은 기록을 그대로 유지합니다: {ids}",
        "figure_saved": "그림: {path}",
        "no_history": "{path}에 아직 연습 기록이 없습니다. groundup lab drill로 시작하세요.",
        "exported_anki": "{path} 저장: 노트 {notes}개, 덱 '{deck}' (다시 가져오면 같은 노트가 "
        "갱신됩니다)",
        "exported_csv": "{path} 저장: 복습 기록 {rows}건",
        "exported_markdown": "{path} 저장: 질문 {questions}개",
        "history_none": "아직 복습하지 않음",
        "history_head": "복습 {n}회, 다음 복습 예정 {due}",
        "follow_up_of": "앞선 질문",
        "follow_ups": "꼬리 질문",
        "history": "복습 기록",
        "unknown_topic": "없는 주제입니다: '{topic}'. 혹시 {hints}?",
        "unknown_topic_list": "없는 주제입니다: '{topic}'. 주제 목록: {topics}",
        "no_match": "조건에 맞는 질문이 없습니다: {filters}",
        "db_locked": "{path}: 다른 groundup 세션이 데이터베이스를 잠그고 있습니다. 잠시 뒤 다시 "
        "시도하세요",
        "db_readonly": "{path}: 읽기 전용이라 평가를 저장할 수 없습니다. 쓰기 권한을 주거나 다른 "
        "--db를 지정하세요",
        "db_full": "{path}: 디스크가 가득 찼습니다. 마지막 평가는 저장하지 못했고, 그 전의 평가는 "
        "모두 저장되어 있습니다",
        "db_corrupt": "{path}: 데이터베이스가 손상되었습니다({detail}). 파일은 그대로 두었습니다. "
        "백업을 복원하거나 다른 --db를 지정하세요",
        "db_not_sqlite": "{path}: SQLite 데이터베이스가 아닙니다. 파일은 그대로 두었습니다. 다른 "
        "--db를 지정하세요",
        "db_foreign": "{path}: groundup 연습 기록이 아닌 다른 프로그램의 "
        "SQLite 데이터베이스입니다. 파일은 그대로 두었습니다. 다른 --db를 지정하세요",
        "db_newer": "{path}: 더 새로운 groundup이 만든 파일입니다(스키마 {version}, 이 버전은 "
        "{known}까지 읽습니다). groundup을 업데이트하세요",
        "db_cannot_open": "{path}: 열 수 없습니다",
        "db_is_folder": "{path}: 폴더입니다. --db에는 파일 경로를 지정하세요",
        "db_missing": "{path}에 아직 연습 기록이 없습니다. groundup lab drill로 시작하세요",
        "db_error": "{path}: 데이터베이스 오류: {detail}",
        "out_exists": "{path}: 파일이 이미 있습니다. 바꾸려면 --overwrite를 붙이세요",
        "out_is_folder": "{path}: 폴더입니다. --out에는 파일 이름을 지정하세요",
        "write_full": "{path}: 디스크가 가득 차서 아무것도 쓰지 않았습니다",
        "write_failed": "{path}: 쓸 수 없습니다({detail}). 아무것도 쓰지 않았습니다",
    },
}

#: what the user may type for each grade (case-insensitive)
GRADE_WORDS: dict[str, int] = {
    "again": 1, "hard": 2, "good": 3, "easy": 4, "1": 1, "2": 2, "3": 3, "4": 4,
    "다시": 1, "어려움": 2, "좋음": 3, "쉬움": 4,
}  # fmt: skip
GRADE_KEYS: tuple[str, ...] = ("again", "hard", "good", "easy")


def t(lang: str, key: str, **fields: Any) -> str:
    """The message `key` in `lang` (English for anything but "ko"), filled with `fields`."""
    table = TEXTS["ko"] if lang == "ko" else TEXTS["en"]
    return table[key].format(**fields)


def grade_name(lang: str, rating: int) -> str:
    """`good`, or `good 좋음` in Korean: the keyword the user types, then its name."""
    word = GRADE_KEYS[rating - 1]
    return word if lang != "ko" else f"{word} {TEXTS['ko'][f'grade_{rating}']}"


def days_text(lang: str, n: int) -> str:
    return t(lang, "day") if n == 1 else t(lang, "days", n=n)


class PracticeError(ValueError):
    """A user error of the practice commands: one line in the session's language.

    The CLI sets `lang` before the message is printed; `str()` renders it then.
    """

    def __init__(self, key: str, **fields: Any):
        super().__init__(key)
        self.key, self.fields, self.lang = key, fields, "en"

    def __str__(self) -> str:
        return t(self.lang, self.key, **self.fields)
