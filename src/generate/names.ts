/** Name and place tables for synthetic US demographics (common names; fictional combinations). */

export const GIVEN_FEMALE = [
  'Mary', 'Patricia', 'Jennifer', 'Linda', 'Elizabeth', 'Barbara', 'Susan', 'Jessica', 'Sarah', 'Karen',
  'Lisa', 'Nancy', 'Betty', 'Sandra', 'Margaret', 'Ashley', 'Kimberly', 'Emily', 'Donna', 'Michelle',
  'Carol', 'Amanda', 'Melissa', 'Deborah', 'Stephanie', 'Maria', 'Rebecca', 'Sharon', 'Laura', 'Cynthia',
  'Amy', 'Angela', 'Anna', 'Brenda', 'Emma', 'Olivia', 'Sophia', 'Isabella', 'Mia', 'Camila',
  'Aaliyah', 'Mei', 'Priya', 'Fatima', 'Guadalupe', 'Ximena', 'Keisha', 'Nia', 'Hannah', 'Grace',
] as const;

export const GIVEN_MALE = [
  'James', 'Robert', 'John', 'Michael', 'David', 'William', 'Richard', 'Joseph', 'Thomas', 'Christopher',
  'Charles', 'Daniel', 'Matthew', 'Anthony', 'Mark', 'Donald', 'Steven', 'Andrew', 'Paul', 'Joshua',
  'Kenneth', 'Kevin', 'Brian', 'George', 'Timothy', 'Ronald', 'Jason', 'Edward', 'Jeffrey', 'Ryan',
  'Jacob', 'Gary', 'Nicholas', 'Eric', 'Jonathan', 'Liam', 'Noah', 'Elijah', 'Mateo', 'Lucas',
  'Santiago', 'Wei', 'Arjun', 'Omar', 'Jamal', 'DeShawn', 'Hiroshi', 'Minh', 'Diego', 'Ethan',
] as const;

export const FAMILY = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
  'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson',
  'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores',
  'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts',
  'Chen', 'Patel', 'Kim', "O'Brien", 'Begay', 'Yazzie', 'Okafor', 'Kowalski', 'Nakamura', 'Haddad',
] as const;

export const STREETS = [
  'Main St', 'Oak Ave', 'Maple Dr', 'Cedar Ln', 'Park Ave', 'Pine St', 'Elm St', 'Washington Blvd',
  'Lake Rd', 'Hillcrest Dr', 'Sunset Blvd', 'River Rd', 'Church St', 'Highland Ave', 'Meadow Way',
  'Willow Ct', 'Jefferson St', 'Lincoln Ave', 'Spring St', 'Forest Dr',
] as const;

/** [city, state, zip, phone area code, UTC offset minutes (standard time)] */
export const PLACES: ReadonlyArray<readonly [string, string, string, string, number]> = [
  ['Springfield', 'MA', '01103', '413', -300],
  ['Worcester', 'MA', '01608', '508', -300],
  ['Boston', 'MA', '02118', '617', -300],
  ['Lowell', 'MA', '01852', '978', -300],
  ['Providence', 'RI', '02903', '401', -300],
  ['Hartford', 'CT', '06103', '860', -300],
  ['Albany', 'NY', '12207', '518', -300],
  ['Columbus', 'OH', '43215', '614', -300],
  ['Atlanta', 'GA', '30303', '404', -300],
  ['Chicago', 'IL', '60616', '312', -360],
  ['Houston', 'TX', '77002', '713', -360],
  ['San Antonio', 'TX', '78205', '210', -360],
  ['Minneapolis', 'MN', '55401', '612', -360],
  ['Denver', 'CO', '80202', '303', -420],
  ['Albuquerque', 'NM', '87102', '505', -420],
  ['Gallup', 'NM', '87301', '505', -420],
  ['Phoenix', 'AZ', '85004', '602', -420],
  ['Los Angeles', 'CA', '90012', '213', -480],
  ['Oakland', 'CA', '94612', '510', -480],
  ['Seattle', 'WA', '98104', '206', -480],
];

/** Preferred languages with rough US weights: [BCP-47 code, display, weight]. */
export const LANGUAGES: ReadonlyArray<readonly [string, string, number]> = [
  ['en-US', 'English (United States)', 80],
  ['es', 'Spanish', 13],
  ['zh', 'Chinese', 2],
  ['vi', 'Vietnamese', 1.5],
  ['fr', 'French', 1],
  ['ar', 'Arabic', 1],
  ['ko', 'Korean', 1],
];

/** OMB race categories (CDC Race & Ethnicity code system): [code, display, weight]. */
export const RACES: ReadonlyArray<readonly [string, string, number]> = [
  ['2106-3', 'White', 60],
  ['2054-5', 'Black or African American', 13],
  ['2028-9', 'Asian', 6],
  ['1002-5', 'American Indian or Alaska Native', 2],
  ['2076-8', 'Native Hawaiian or Other Pacific Islander', 1],
];

/** Tribal entity (v3-TribalEntityUS), as in the US Core patient example: [code, display]. */
export const TRIBES: ReadonlyArray<readonly [string, string]> = [
  ['187', 'Paiute-Shoshone Tribe of the Fallon Reservation and Colony, Nevada'],
];

export const SUFFIXES = ['Jr.', 'Sr.', 'II', 'III'] as const;
