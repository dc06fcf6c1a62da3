//! Every text of the pages, Russian and English, in one place.
//!
//! A page gets one [`Texts`] — [`RU`] by default, [`EN`] on the switch —
//! and reads its words by field, so a missing text is a compile error.
//! Words for the domain's vocabularies (forms, categories, criteria,
//! statuses) are methods.

use crate::domain::{Criterion, Form, MenteeCategory, Qualification, StaffRole};
use crate::matching::Lang;
use crate::matching::rules::Rule;

macro_rules! texts {
    ($($name:ident: $ru:expr, $en:expr;)*) => {
        /// The words of the pages in one language.
        #[derive(Debug)]
        pub struct Texts {
            /// The language.
            pub lang: Lang,
            $(#[doc = $en] pub $name: &'static str,)*
        }
        /// Russian, the default.
        pub static RU: Texts = Texts { lang: Lang::Ru, $($name: $ru,)* };
        /// English.
        pub static EN: Texts = Texts { lang: Lang::En, $($name: $en,)* };
    };
}

texts! {
    html_lang: "ru", "en";
    service: "Подбор наставников", "Mentor matching";
    other_lang_code: "en", "ru";
    other_lang_name: "English", "Русский";
    skip_to_content: "Перейти к содержанию", "Skip to content";
    nav_programmes: "Программы", "Programmes";
    nav_indicators: "Показатели", "Indicators";
    sign_out: "Выйти", "Sign out";
    signed_in_as: "Вы вошли как", "Signed in as";
    role_admin: "администратор", "administrator";
    role_system: "школьная система", "school system";
    role_curator: "куратор", "curator";
    role_analyst: "аналитик", "analyst";
    scope_all: "все организации", "all organisations";
    // Sign-in
    sign_in_title: "Вход", "Sign in";
    sign_in_lead: "Вставьте ключ доступа, который вам выдали. Ключ не сохраняется в браузере: после входа страницы открываются по сеансу, который закончится, когда вы выйдете, через 8 часов без действий или когда ключ отзовут.",
        "Paste the access key you were given. The key is not kept in the browser: after signing in, pages open with a session that ends when you sign out, after 8 hours idle, or when the key is revoked.";
    key_label: "Ключ доступа", "Access key";
    key_hint: "Начинается с mm_", "Starts with mm_";
    sign_in_button: "Войти", "Sign in";
    sign_in_failed: "Ключ не подошёл: он неизвестен, отозван или истёк.", "The key did not work: it is unknown, revoked or expired.";
    signed_out: "Вы вышли. Сеанс закончен.", "You signed out. The session has ended.";
    session_ended: "Сеанс закончился. Войдите снова.", "The session has ended. Please sign in again.";
    // Programmes
    programmes_title: "Программы наставничества", "Mentoring programmes";
    programmes_empty: "В вашей области видимости нет программ.", "There are no programmes in your scope.";
    programme: "Программа", "Programme";
    form: "Форма", "Form";
    period: "Период", "Period";
    open: "Открыть", "Open";
    readiness: "Готовность", "Readiness";
    eligible_mentees: "наставляемых к подбору", "mentees to match";
    matchable_now: "можно подобрать сейчас", "can be matched now";
    blocked_by_rules: "не проходят правила", "blocked by rules";
    waiting_consent: "ждут согласия", "waiting for consent";
    already_paired: "уже в паре", "already paired";
    mentors_available: "наставников доступно", "mentors available";
    free_places: "свободных мест", "free places";
    tutors_word: "тьюторов", "tutors";
    with_free_places: "мест", "places";
    special_needs_pupils: "учеников с ОВЗ", "pupils with special needs";
    mentors_waiting_training: "наставников ждут обучения", "mentors waiting for training";
    by_organization: "По организациям", "By organisation";
    organization: "Организация", "Organisation";
    category: "Категория", "Category";
    eligible: "К подбору", "To match";
    blocked: "Правила не пускают", "Blocked by rules";
    consent: "Нет согласия", "No consent";
    paired: "В паре", "Paired";
    no_place: "Без места", "No place left";
    left_without_place: "останутся без места", "left without a place";
    readiness_title: "Готовность по организациям", "Readiness by organisation";
    readiness_hint: "К подбору = можно подобрать сейчас + правила не пускают + без места (места подходящих наставников заняты или отданы другим). Без согласия и уже в паре — сверх того.",
        "To match = can be matched now + blocked by rules + no place left (the places of suitable mentors are taken or go to others). No consent and already paired come on top.";
    col_matchable_now: "Можно подобрать сейчас", "Can be matched now";
    supply_title: "Наставники по организациям", "Mentors by organisation";
    col_available: "Доступно", "Available";
    col_free_places: "Свободных мест", "Free places";
    col_tutors: "Тьюторов", "Tutors";
    col_tutor_places: "Мест у тьюторов", "Tutors' places";
    col_waiting_consent: "Ждут согласия", "Waiting for consent";
    col_waiting_training: "Ждут обучения", "Waiting for training";
    run_of: "Подбор от", "Run of";
    run_of_lower: "подбор от", "run of";
    no_data: "нет данных", "no data";
    no_data_charts: "Без диаграммы — за этот месяц нет данных (знаменатель равен нулю):", "No chart — no data for this month (the denominator is zero):";
    waiting_title: "Ожидают наставника", "Waiting for a mentor";
    waiting_none: "Все, кого рассматривал последний подбор, получили наставника.", "Everyone the last run considered got a mentor.";
    waiting_no_run: "Подбор ещё не запускался.", "No run yet.";
    not_considered_title: "Не рассматривались", "Not considered";
    why: "Причина", "Why";
    runs_title: "Подборы", "Runs";
    runs_empty: "Подборов ещё не было.", "No runs yet.";
    started_at: "Запущен", "Started";
    status: "Статус", "Status";
    coverage: "Охват", "Coverage";
    dry_run: "пробный", "dry run";
    start_run: "Запустить подбор", "Start a run";
    rerun: "Подобрать для оставшихся", "Match those left";
    rerun_hint: "Новый подбор сохраняет утверждённые пары и подбирает наставников остальным.", "A new run keeps approved pairs and finds mentors for the rest.";
    objective: "Цель после охвата", "Objective after coverage";
    objective_total: "наибольшая сумма оценок", "highest total score";
    objective_fair: "наибольшая наименьшая оценка", "highest lowest score";
    objective_rank_maximal: "больше всего первых выборов", "most first choices";
    objective_stable: "устойчивые пары (выбирают наставляемые)", "stable pairs (mentees propose)";
    objective_stable_mentor: "устойчивые пары (выбирают наставники)", "stable pairs (mentors propose)";
    pairs_title: "Пары", "Pairs";
    pair_by_hand: "Пара вручную", "Pair by hand";
    weights_title: "Веса критериев", "Criterion weights";
    sensitivity_title: "Чувствительность", "Sensitivity";
    outcomes_title: "Итоги пар и веса", "Outcomes against weights";
    // Run
    run_title: "Подбор", "Run";
    run_queued: "Подбор ждёт очереди…", "The run is queued…";
    run_running: "Идёт подбор…", "The run is in progress…";
    run_failed: "Подбор завершился ошибкой.", "The run failed.";
    refresh_note: "Страница обновляется сама каждые 2 секунды.", "This page refreshes itself every 2 seconds.";
    refresh_now: "Обновить", "Refresh";
    covered: "покрыто", "covered";
    of_word: "из", "of";
    mean_score: "Средняя оценка", "Mean score";
    min_score: "Наименьшая оценка", "Lowest score";
    total_score: "Сумма оценок", "Total score";
    histogram_title: "Распределение оценок", "Score distribution";
    proposals_title: "Предложенные пары", "Proposed pairs";
    mentor: "Наставник", "Mentor";
    mentee: "Наставляемый", "Mentee";
    mentees: "Наставляемые", "Mentees";
    grade: "Класс", "Grade";
    score: "Оценка", "Score";
    any: "все", "any";
    only_problems: "Только проблемные", "Only problems";
    problem_low: "низкая оценка", "low score";
    problem_missing: "профиль удалён", "profile removed";
    filter: "Показать", "Apply";
    reset: "Сбросить", "Reset";
    sort: "Сортировка", "Sort by";
    sort_score_desc: "оценка ↓", "score ↓";
    sort_score_asc: "оценка ↑", "score ↑";
    sort_mentor: "наставник", "mentor";
    sort_mentee: "наставляемый", "mentee";
    sort_grade: "класс", "grade";
    sort_status: "статус", "status";
    shown: "Показано", "Showing";
    page_word: "Страница", "Page";
    previous: "← Назад", "← Previous";
    next: "Дальше →", "Next →";
    select_all: "Выбрать все на странице", "Select all on this page";
    select: "Выбрать", "Select";
    approve_selected: "Утвердить выбранные", "Approve selected";
    no_proposals: "Нет предложений под эти условия.", "No proposals match these filters.";
    restricted: "скрыто", "restricted";
    restricted_reason: "ни один наставник не проходит правила (подробности скрыты)", "no mentor passes the rules (details restricted)";
    pseudonyms_note: "Для аналитика люди показаны псевдонимами; имена и чувствительные категории не показываются.", "For analysts people are shown as pseudonyms; names and sensitive categories are not shown.";
    dry_run_note: "Это пробный подбор: его предложения нельзя утвердить.", "This is a dry run: its proposals cannot be approved.";
    bulk_result_title: "Утверждение выбранных", "Approving the selected";
    approved_count: "Утверждено", "Approved";
    failed_count: "Не удалось", "Failed";
    nothing_selected: "Ничего не выбрано.", "Nothing was selected.";
    back_to_run: "Вернуться к подбору", "Back to the run";
    // Proposal
    proposal_title: "Предложение", "Proposal";
    profiles: "Профили", "Profiles";
    full_name: "ФИО", "Full name";
    subjects: "Предметы", "Subjects";
    competencies: "Компетенции", "Competencies";
    requests: "Запросы", "Requests";
    interests: "Интересы", "Interests";
    experience: "Стаж, лет", "Experience, years";
    qualification: "Квалификация", "Qualification";
    roles: "Роли", "Roles";
    capacity: "Мест всего", "Places";
    trained: "Обучение пройдено", "Trained";
    yes: "да", "yes";
    no: "нет", "no";
    explanation: "Почему эта пара", "Why this pair";
    criterion: "Критерий", "Criterion";
    weight: "Вес", "Weight";
    value: "Значение", "Value";
    contribution: "Вклад", "Contribution";
    detail: "Что совпало", "What matched";
    rules_passed: "Обязательные правила, которые пара прошла", "Hard rules the pair passed";
    alternatives: "Лучшие альтернативы для наставляемого", "Best alternatives for the mentee";
    alternatives_none: "Других допустимых наставников в этом подборе не было.", "The run had no other allowed mentor.";
    replace_with: "Заменить на", "Replace with";
    approve: "Утвердить", "Approve";
    reject: "Отклонить", "Reject";
    reject_reason: "Причина отклонения", "Reason for rejecting";
    decided: "Решение принято", "Decided";
    pin: "Закрепить пару", "Pin the pair";
    unpin: "Снять закрепление", "Unpin";
    pin_hint: "Закреплённую пару каждый следующий подбор сохраняет как есть и учитывает в местах наставника.", "Every later run keeps a pinned pair as it is and counts it against the mentor's places.";
    pinned_now: "Пара закреплена: следующие подборы её сохранят.", "The pair is pinned: later runs keep it.";
    pinned_elsewhere: "Наставляемый закреплён за другим наставником:", "The mentee is pinned to another mentor:";
    done_pinned: "Пара закреплена.", "The pair is pinned.";
    done_unpinned: "Закрепление снято.", "The pin is removed.";
    group_members: "Участники группы", "Group members";
    // Pairs
    pairs_of: "Пары программы", "Pairs of the programme";
    pairs_empty: "Пар пока нет.", "No pairs yet.";
    started_on: "Начало", "Start";
    ended_on: "Окончание", "End";
    end_reason: "Причина завершения", "End reason";
    complete: "Завершить", "Complete";
    end_early: "Завершить досрочно", "End early";
    note: "Комментарий", "Note";
    note_hint: "Обязателен для «другая причина»", "Required for “another reason”";
    download_csv: "Список для приказа (CSV)", "List for the order (CSV)";
    download_xlsx: "Список для приказа (XLSX)", "List for the order (XLSX)";
    status_filter: "Состояние", "Status";
    pair_active: "действует", "active";
    pair_completed: "завершена", "completed";
    pair_ended: "завершена досрочно", "ended early";
    // Pair by hand
    hand_title: "Пара вручную", "Pair by hand";
    hand_lead: "Выберите наставляемого: появятся наставники, которых последний подбор счёл лучшими для него. Правила и места проверяются так же, как при подборе.", "Choose a mentee to see the mentors the last run scored best for them. Rules and places are checked as in a run.";
    choose_mentee: "Наставляемый", "Mentee";
    show_suggestions: "Показать подходящих", "Show suggestions";
    suggestions: "Подходящие наставники", "Suggested mentors";
    suggestions_none: "Подсказок нет: запустите подбор или введите id наставника.", "No suggestions: start a run or enter a mentor id.";
    mentor_id: "Id наставника", "Mentor id";
    override_rejection: "Пара была отклонена или прервана — всё равно создать", "The pair was rejected or ended early — make it all the same";
    override_reason: "Основание", "Reason";
    make_pair: "Создать пару", "Make the pair";
    // Analyst
    current_weights: "Текущие веса", "Current weights";
    history: "История изменений", "History of changes";
    version: "Версия", "Version";
    changed_at: "Когда", "When";
    changed_by: "Кто (ключ)", "Who (key)";
    reason: "Причина", "Reason";
    no_reason: "не указана", "not given";
    dry_run_title: "Пробный подбор с другими весами", "Dry run with other weights";
    dry_run_lead: "Пробный подбор ничего не меняет: его можно только сравнить с последним подбором.", "A dry run changes nothing: it can only be compared with the last run.";
    run_dry: "Запустить и сравнить", "Run and compare";
    compare_title: "Сравнение подборов", "Comparing runs";
    compare_waiting: "Ждём окончания подборов…", "Waiting for the runs to finish…";
    cause_title: "Откуда разница", "Where the difference comes from";
    cause_lead: "Мост — данные подбора A, подобранные с весами и целью подбора B. Разница от настроек = мост − A, от данных = B − мост; вместе они дают всё изменение.", "The bridge is run A's data matched with run B's weights and objective. The part of the settings = bridge − A, of the data = B − bridge; together they make the whole change.";
    cause_settings: "От весов и цели", "From weights and objective";
    cause_data: "От данных", "From the data";
    cause_bridge: "Мост", "Bridge";
    same_data: "Подборы читали одни и те же данные: вся разница — от настроек.", "Both runs read the same data: the whole difference comes from the settings.";
    same_settings: "Настройки подборов совпадают: вся разница — от данных.", "Both runs used the same settings: the whole difference comes from the data.";
    data_changes: "Что изменилось в данных", "What changed in the data";
    no_attribution: "Один из подборов сохранён до того, как подборы стали хранить входные данные: разделить причины нельзя.", "One of the runs was stored before runs kept their inputs: the causes cannot be told apart.";
    ch_mentees_added: "наставляемых добавилось", "mentees added";
    ch_mentees_removed: "наставляемых убыло", "mentees removed";
    ch_mentees_changed: "анкет наставляемых изменилось", "mentee profiles changed";
    ch_mentors_added: "наставников добавилось", "mentors added";
    ch_mentors_removed: "наставников убыло", "mentors removed";
    ch_mentors_changed: "анкет или мест наставников изменилось", "mentor profiles or places changed";
    ch_pairs_approved: "пар утверждено", "pairs approved";
    ch_pairs_closed: "пар закрыто", "pairs closed";
    ch_completed: "наставляемых завершили программу", "mentees completed";
    ch_excluded: "пар отклонено или прервано", "pairs rejected or ended early";
    ch_pins: "закреплений изменилось", "pins changed";
    ch_wishes: "участников изменили пожелания", "people changed their wishes";
    ch_programme: "программа изменилась (кроме весов)", "the programme changed (apart from its weights)";
    run_a: "Подбор A", "Run A";
    run_b: "Подбор B", "Run B";
    change: "Изменение", "Change";
    matched: "Подобрано", "Matched";
    considered: "Рассматривалось", "Considered";
    pairs_kept: "Пары сохранились", "Pairs kept";
    pairs_added: "Пары добавились", "Pairs added";
    pairs_dropped: "Пары ушли", "Pairs dropped";
    mean_value: "Среднее значение", "Mean value";
    contribution_total: "Суммарный вклад", "Total contribution";
    baseline: "Сейчас", "Now";
    pairs_changed_minus: "Пар меняется при −25 %", "Pairs changed at −25%";
    pairs_changed_plus: "Пар меняется при +25 %", "Pairs changed at +25%";
    sensitivity_lead: "Сколько из предложенных сейчас пар меняется, если долю критерия в весах уменьшить или увеличить на четверть, а остальные веса пересчитать так, чтобы сумма осталась 1; как меняются охват и наименьшая оценка.", "How many of today's proposed pairs change when a criterion's share of the weights moves down or up by a quarter and the other weights are rescaled so they still sum to 1; and how coverage and the lowest score change.";
    not_computed: "не вычислялся", "not computed";
    weight_share: "Доля", "Share";
    weights_relative: "Веса — относительная важность критериев: хранятся как заданы, для оценки делятся на свою сумму (доли в сумме дают 1).", "Weights are relative importances: stored as given, divided by their sum for scoring (the shares add up to 1).";
    coverage_change: "Охват", "Coverage";
    min_score_change: "Наименьшая оценка", "Lowest score";
    mentees_considered: "наставляемых рассматривалось", "mentees considered";
    too_few_pairs: "слишком мало завершённых пар, чтобы судить", "too few finished pairs to tell";
    no_spread: "оценки или рост не различаются", "the scores or the growth do not vary";
    interval_95: "95 % интервал", "95% interval";
    min_pairs_note: "Статистика считается, только если завершённых пар не меньше", "A statistic is computed only over at least this many finished pairs:";
    pairs_word: "пар", "pairs";
    outcomes_lead: "Насколько каждая версия весов предсказала, как прошли завершённые пары: ранговая корреляция оценки с ростом и доля досрочных завершений среди четверти пар с наименьшей оценкой.", "How well each version of the weights predicted how finished pairs went: rank correlation of score with growth, and the share of early endings among the lowest-scored quarter.";
    pairs_finished: "Завершённых пар", "Finished pairs";
    pairs_ended_early: "Из них досрочно", "Of which ended early";
    spearman: "Корреляция оценки и роста", "Score–growth correlation";
    with_growth: "Пар с анкетами", "Pairs with questionnaires";
    early_low: "Досрочно среди худшей четверти", "Early endings, lowest quarter";
    early_rest: "Досрочно среди остальных", "Early endings, the rest";
    current_word: "текущие", "current";
    // Indicators
    indicators_title: "Показатели мониторинга", "Monitoring indicators";
    month: "Месяц", "Month";
    show: "Показать", "Show";
    indicator: "Показатель", "Indicator";
    numerator: "Числитель", "Numerator";
    denominator: "Знаменатель", "Denominator";
    share: "Доля", "Share";
    charts: "Диаграммы", "Charts";
    download_indicators_csv: "Скачать CSV", "Download CSV";
    download_indicators_xlsx: "Скачать XLSX", "Download XLSX";
    as_of: "на", "as of";
    // Errors
    error_title: "Не получилось", "Something went wrong";
    error_not_found: "Такой страницы нет или она вне вашей области видимости.", "There is no such page, or it is outside your scope.";
    error_forbidden: "Вашей роли это недоступно.", "Your role does not allow this.";
    error_csrf: "Форма устарела или отправлена не со страницы сервиса. Вернитесь назад, обновите страницу и повторите.", "The form is stale or was not sent from a page of this service. Go back, reload the page and try again.";
    error_internal: "Внутренняя ошибка. Она записана в журнал; попробуйте позже.", "An internal error. It has been logged; please try again later.";
    error_unavailable: "База данных не отвечает. Попробуйте чуть позже.", "The database is not answering. Please try again shortly.";
    error_too_many: "Слишком много запросов. Подождите немного.", "Too many requests. Please wait a moment.";
    error_generic: "Запрос не выполнен.", "The request could not be completed.";
    to_start: "На главную", "To the start page";
    go_back: "Назад", "Back";
    done_approved: "Пара утверждена.", "The pair is approved.";
    done_rejected: "Предложение отклонено.", "The proposal is rejected.";
    done_paired: "Пара создана.", "The pair is made.";
    done_closed: "Пара завершена.", "The pair is closed.";
    done_started: "Подбор запущен.", "The run has started.";
}

/// The texts of `lang`.
pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Ru => &RU,
        Lang::En => &EN,
    }
}

impl Texts {
    fn ru(&self) -> bool {
        self.lang == Lang::Ru
    }

    /// A form of mentoring.
    pub fn form(&self, form: &Form) -> &'static str {
        use Form::*;
        match (form, self.ru()) {
            (TeacherTeacher, true) => "учитель – учитель",
            (TeacherPupil, true) => "учитель – ученик",
            (PupilPupil, true) => "ученик – ученик",
            (StudentPupil, true) => "студент – ученик",
            (EmployerPupil, true) => "работодатель – ученик",
            (TeacherTeacher, false) => "teacher – teacher",
            (TeacherPupil, false) => "teacher – pupil",
            (PupilPupil, false) => "pupil – pupil",
            (StudentPupil, false) => "student – pupil",
            (EmployerPupil, false) => "employer – pupil",
        }
    }

    /// A mentee category.
    pub fn category(&self, category: &MenteeCategory) -> &'static str {
        use MenteeCategory::*;
        match (category, self.ru()) {
            (YoungSpecialist, true) => "молодой специалист",
            (LowResultsTeacher, true) => "педагог с низкими результатами",
            (NewTeacher, true) => "новый педагог",
            (StrugglingPupil, true) => "неуспевающий ученик",
            (PreventionRegister, true) => "профилактический учёт",
            (SpecialNeeds, true) => "ОВЗ",
            (Gifted, true) => "одарённый",
            (Adaptation, true) => "адаптация",
            (CareerGuidance, true) => "профориентация",
            (YoungSpecialist, false) => "young specialist",
            (LowResultsTeacher, false) => "teacher with low results",
            (NewTeacher, false) => "new teacher",
            (StrugglingPupil, false) => "struggling pupil",
            (PreventionRegister, false) => "prevention register",
            (SpecialNeeds, false) => "special needs",
            (Gifted, false) => "gifted",
            (Adaptation, false) => "adaptation",
            (CareerGuidance, false) => "career guidance",
        }
    }

    /// A soft criterion.
    pub fn criterion(&self, criterion: &Criterion) -> &'static str {
        use Criterion::*;
        match (criterion, self.ru()) {
            (Subjects, true) => "предметы",
            (Requests, true) => "запросы и компетенции",
            (Interests, true) => "общие интересы",
            (Availability, true) => "свободное время",
            (ClassTeacher, true) => "классный руководитель",
            (Experience, true) => "стаж и квалификация",
            (AgeGap, true) => "разница в возрасте или классе",
            (Load, true) => "загрузка наставника",
            (Wishes, true) => "пожелания участников",
            (Subjects, false) => "subjects",
            (Requests, false) => "requests and competencies",
            (Interests, false) => "shared interests",
            (Availability, false) => "free time",
            (ClassTeacher, false) => "class teacher",
            (Experience, false) => "experience and qualification",
            (AgeGap, false) => "age or grade gap",
            (Load, false) => "mentor load",
            (Wishes, false) => "participants' wishes",
        }
    }

    /// A hard rule, said as passed.
    pub fn rule_passed(&self, rule: &Rule) -> &'static str {
        use Rule::*;
        match (rule, self.ru()) {
            (FormNotAccepted, true) => {
                "наставник работает в форме программы, категория наставляемого ей соответствует"
            }
            (WrongMentorKind, true) => "наставник подходит для этой формы",
            (MentorNoConsent, true) => "у обоих есть действующее согласие",
            (MentorNotTrained, true) => "наставник прошёл обучение",
            (MentorOutOfScope, true) => "наставник из организации-партнёра в охвате программы",
            (DifferentOrganization, true) => {
                "наставник и наставляемый из одной организации (или сети программы)"
            }
            (SelfMentoring, true) => "это разные люди",
            (RejectedPair, true) => "куратор не отклонял эту пару раньше",
            (NeedsTutor, true) => "у наставника есть роль тьютора",
            (GradeGap, true) => "наставник учится в более старшем классе",
            (MentorExperience, true) => "у наставника достаточный стаж",
            (FormNotAccepted, false) => {
                "the mentor works in the programme's form and the mentee's category belongs to it"
            }
            (WrongMentorKind, false) => "the mentor is the right kind of person for the form",
            (MentorNoConsent, false) => "both have a valid consent",
            (MentorNotTrained, false) => "the mentor finished mentor training",
            (MentorOutOfScope, false) => {
                "the mentor is from a partner organisation inside the programme"
            }
            (DifferentOrganization, false) => {
                "mentor and mentee are of one organisation (or the programme's network)"
            }
            (SelfMentoring, false) => "they are two different people",
            (RejectedPair, false) => "the curator has not rejected this pair before",
            (NeedsTutor, false) => "the mentor has the tutor role",
            (GradeGap, false) => "the mentor is in a higher grade",
            (MentorExperience, false) => "the mentor has enough experience",
        }
    }

    /// Where a run stands.
    pub fn run_status(&self, status: &str) -> &'static str {
        match (status, self.ru()) {
            ("queued", true) => "в очереди",
            ("running", true) => "идёт",
            ("done", true) => "готов",
            ("failed", true) => "ошибка",
            ("queued", false) => "queued",
            ("running", false) => "running",
            ("done", false) => "done",
            ("failed", false) => "failed",
            (_, true) => "неизвестно",
            (_, false) => "unknown",
        }
    }

    /// Where a proposal stands.
    pub fn proposal_status(&self, status: &str) -> &'static str {
        match (status, self.ru()) {
            ("proposed", true) => "предложена",
            ("approved", true) => "утверждена",
            ("rejected", true) => "отклонена",
            ("withdrawn", true) => "отозвана",
            ("proposed", false) => "proposed",
            ("approved", false) => "approved",
            ("rejected", false) => "rejected",
            ("withdrawn", false) => "withdrawn",
            (_, true) => "неизвестно",
            (_, false) => "unknown",
        }
    }

    /// Where a pair stands.
    pub fn pair_status(&self, status: &str) -> &'static str {
        match status {
            "active" => self.pair_active,
            "completed" => self.pair_completed,
            "ended" => self.pair_ended,
            _ => self.error_generic,
        }
    }

    /// Why a pair ended early.
    pub fn end_reason(&self, code: &str) -> &'static str {
        crate::http::i18n::end_reason_text(code, self.lang).unwrap_or("—")
    }

    /// A qualification category.
    pub fn qualification(&self, q: &Qualification) -> &'static str {
        match (q, self.ru()) {
            (Qualification::Highest, true) => "высшая",
            (Qualification::First, true) => "первая",
            (Qualification::None, true) => "без категории",
            (Qualification::Highest, false) => "highest",
            (Qualification::First, false) => "first",
            (Qualification::None, false) => "none",
        }
    }

    /// A staff role.
    pub fn staff_role(&self, role: &StaffRole) -> &'static str {
        use StaffRole::*;
        match (role, self.ru()) {
            (ClassTeacher, true) => "классный руководитель",
            (Tutor, true) => "тьютор",
            (Psychologist, true) => "психолог",
            (SocialPedagogue, true) => "социальный педагог",
            (SpeechTherapist, true) => "логопед",
            (Defectologist, true) => "дефектолог",
            (Methodologist, true) => "методист",
            (DeputyHead, true) => "заместитель директора",
            (SubjectTeacher, true) => "учитель-предметник",
            (AdditionalEducationTeacher, true) => "педагог доп. образования",
            (CareerAdviser, true) => "профконсультант",
            (PupilLeader, true) => "лидер ученического актива",
            (other, false) => other.as_str(),
        }
    }

    /// A role of a key.
    pub fn role(&self, role: crate::service::auth::Role) -> &'static str {
        use crate::service::auth::Role;
        match role {
            Role::Admin => self.role_admin,
            Role::System => self.role_system,
            Role::Curator => self.role_curator,
            Role::Analyst => self.role_analyst,
        }
    }

    /// "12 pupils with special needs" style count with the right word form.
    pub fn count(&self, n: usize, what: &str) -> String {
        format!("{n} {what}")
    }
}
