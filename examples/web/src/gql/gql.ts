/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment SessionFields on AuthPayload {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      nickname\n      email\n      points\n      settings {\n        language\n      }\n    }\n  }\n": typeof types.SessionFieldsFragmentDoc,
    "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      ...SessionFields\n    }\n  }\n": typeof types.SignUpDocument,
    "\n  mutation LogIn($input: LogInInput!) {\n    logIn(input: $input) {\n      ...SessionFields\n    }\n  }\n": typeof types.LogInDocument,
    "\n  mutation RefreshSession($refreshToken: String!) {\n    refreshSession(refreshToken: $refreshToken) {\n      ...SessionFields\n    }\n  }\n": typeof types.RefreshSessionDocument,
    "\n  mutation LogOut($refreshToken: String!) {\n    logOut(refreshToken: $refreshToken)\n  }\n": typeof types.LogOutDocument,
    "\n  mutation SetLanguage($language: Language!) {\n    updateProfile(input: { language: $language }) {\n      id\n      settings {\n        language\n      }\n    }\n  }\n": typeof types.SetLanguageDocument,
    "\n  query MyHistory($language: Language) {\n    me {\n      id\n      nickname\n      email\n      points\n      analyses(first: 10) {\n        edges {\n          node {\n            id\n            status\n            createdAt\n            pointsAwarded\n            result {\n              itemName\n              category {\n                code\n                name(language: $language)\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.MyHistoryDocument,
    "\n  mutation CreateUpload($input: CreateImageUploadInput!) {\n    createImageUpload(input: $input) {\n      uploadId\n      uploadUrl\n      expiresAt\n    }\n  }\n": typeof types.CreateUploadDocument,
    "\n  mutation Analyze($input: AnalyzeWasteInput!) {\n    analyzeWaste(input: $input) {\n      id\n      status\n      stage\n      progress\n    }\n  }\n": typeof types.AnalyzeDocument,
    "\n  subscription Progress($analysisId: ID!, $language: Language) {\n    analysisProgress(analysisId: $analysisId) {\n      analysisId\n      status\n      stage\n      progress\n      message(language: $language)\n      pointsAwarded\n    }\n  }\n": typeof types.ProgressDocument,
    "\n  query AnalysisResult($id: ID!, $language: Language, $latitude: Float!, $longitude: Float!) {\n    analysis(id: $id) {\n      id\n      status\n      pointsAwarded\n      error {\n        code\n        message\n      }\n      result {\n        itemName\n        confidence\n        cached\n        category {\n          code\n          name(language: $language)\n          guide {\n            steps(language: $language)\n            notAccepted {\n              name(language: $language)\n              goesTo {\n                code\n                name(language: $language)\n              }\n            }\n          }\n          dropOffPointsNear(\n            latitude: $latitude\n            longitude: $longitude\n            radiusMeters: 50000\n            first: 5\n          ) {\n            distanceMeters\n            point {\n              id\n              name\n              address\n              kind\n              isOpenNow\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.AnalysisResultDocument,
};
const documents: Documents = {
    "\n  fragment SessionFields on AuthPayload {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      nickname\n      email\n      points\n      settings {\n        language\n      }\n    }\n  }\n": types.SessionFieldsFragmentDoc,
    "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      ...SessionFields\n    }\n  }\n": types.SignUpDocument,
    "\n  mutation LogIn($input: LogInInput!) {\n    logIn(input: $input) {\n      ...SessionFields\n    }\n  }\n": types.LogInDocument,
    "\n  mutation RefreshSession($refreshToken: String!) {\n    refreshSession(refreshToken: $refreshToken) {\n      ...SessionFields\n    }\n  }\n": types.RefreshSessionDocument,
    "\n  mutation LogOut($refreshToken: String!) {\n    logOut(refreshToken: $refreshToken)\n  }\n": types.LogOutDocument,
    "\n  mutation SetLanguage($language: Language!) {\n    updateProfile(input: { language: $language }) {\n      id\n      settings {\n        language\n      }\n    }\n  }\n": types.SetLanguageDocument,
    "\n  query MyHistory($language: Language) {\n    me {\n      id\n      nickname\n      email\n      points\n      analyses(first: 10) {\n        edges {\n          node {\n            id\n            status\n            createdAt\n            pointsAwarded\n            result {\n              itemName\n              category {\n                code\n                name(language: $language)\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": types.MyHistoryDocument,
    "\n  mutation CreateUpload($input: CreateImageUploadInput!) {\n    createImageUpload(input: $input) {\n      uploadId\n      uploadUrl\n      expiresAt\n    }\n  }\n": types.CreateUploadDocument,
    "\n  mutation Analyze($input: AnalyzeWasteInput!) {\n    analyzeWaste(input: $input) {\n      id\n      status\n      stage\n      progress\n    }\n  }\n": types.AnalyzeDocument,
    "\n  subscription Progress($analysisId: ID!, $language: Language) {\n    analysisProgress(analysisId: $analysisId) {\n      analysisId\n      status\n      stage\n      progress\n      message(language: $language)\n      pointsAwarded\n    }\n  }\n": types.ProgressDocument,
    "\n  query AnalysisResult($id: ID!, $language: Language, $latitude: Float!, $longitude: Float!) {\n    analysis(id: $id) {\n      id\n      status\n      pointsAwarded\n      error {\n        code\n        message\n      }\n      result {\n        itemName\n        confidence\n        cached\n        category {\n          code\n          name(language: $language)\n          guide {\n            steps(language: $language)\n            notAccepted {\n              name(language: $language)\n              goesTo {\n                code\n                name(language: $language)\n              }\n            }\n          }\n          dropOffPointsNear(\n            latitude: $latitude\n            longitude: $longitude\n            radiusMeters: 50000\n            first: 5\n          ) {\n            distanceMeters\n            point {\n              id\n              name\n              address\n              kind\n              isOpenNow\n            }\n          }\n        }\n      }\n    }\n  }\n": types.AnalysisResultDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SessionFields on AuthPayload {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      nickname\n      email\n      points\n      settings {\n        language\n      }\n    }\n  }\n"): (typeof documents)["\n  fragment SessionFields on AuthPayload {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      nickname\n      email\n      points\n      settings {\n        language\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      ...SessionFields\n    }\n  }\n"): (typeof documents)["\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      ...SessionFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LogIn($input: LogInInput!) {\n    logIn(input: $input) {\n      ...SessionFields\n    }\n  }\n"): (typeof documents)["\n  mutation LogIn($input: LogInInput!) {\n    logIn(input: $input) {\n      ...SessionFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RefreshSession($refreshToken: String!) {\n    refreshSession(refreshToken: $refreshToken) {\n      ...SessionFields\n    }\n  }\n"): (typeof documents)["\n  mutation RefreshSession($refreshToken: String!) {\n    refreshSession(refreshToken: $refreshToken) {\n      ...SessionFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LogOut($refreshToken: String!) {\n    logOut(refreshToken: $refreshToken)\n  }\n"): (typeof documents)["\n  mutation LogOut($refreshToken: String!) {\n    logOut(refreshToken: $refreshToken)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetLanguage($language: Language!) {\n    updateProfile(input: { language: $language }) {\n      id\n      settings {\n        language\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation SetLanguage($language: Language!) {\n    updateProfile(input: { language: $language }) {\n      id\n      settings {\n        language\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyHistory($language: Language) {\n    me {\n      id\n      nickname\n      email\n      points\n      analyses(first: 10) {\n        edges {\n          node {\n            id\n            status\n            createdAt\n            pointsAwarded\n            result {\n              itemName\n              category {\n                code\n                name(language: $language)\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query MyHistory($language: Language) {\n    me {\n      id\n      nickname\n      email\n      points\n      analyses(first: 10) {\n        edges {\n          node {\n            id\n            status\n            createdAt\n            pointsAwarded\n            result {\n              itemName\n              category {\n                code\n                name(language: $language)\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateUpload($input: CreateImageUploadInput!) {\n    createImageUpload(input: $input) {\n      uploadId\n      uploadUrl\n      expiresAt\n    }\n  }\n"): (typeof documents)["\n  mutation CreateUpload($input: CreateImageUploadInput!) {\n    createImageUpload(input: $input) {\n      uploadId\n      uploadUrl\n      expiresAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Analyze($input: AnalyzeWasteInput!) {\n    analyzeWaste(input: $input) {\n      id\n      status\n      stage\n      progress\n    }\n  }\n"): (typeof documents)["\n  mutation Analyze($input: AnalyzeWasteInput!) {\n    analyzeWaste(input: $input) {\n      id\n      status\n      stage\n      progress\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription Progress($analysisId: ID!, $language: Language) {\n    analysisProgress(analysisId: $analysisId) {\n      analysisId\n      status\n      stage\n      progress\n      message(language: $language)\n      pointsAwarded\n    }\n  }\n"): (typeof documents)["\n  subscription Progress($analysisId: ID!, $language: Language) {\n    analysisProgress(analysisId: $analysisId) {\n      analysisId\n      status\n      stage\n      progress\n      message(language: $language)\n      pointsAwarded\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AnalysisResult($id: ID!, $language: Language, $latitude: Float!, $longitude: Float!) {\n    analysis(id: $id) {\n      id\n      status\n      pointsAwarded\n      error {\n        code\n        message\n      }\n      result {\n        itemName\n        confidence\n        cached\n        category {\n          code\n          name(language: $language)\n          guide {\n            steps(language: $language)\n            notAccepted {\n              name(language: $language)\n              goesTo {\n                code\n                name(language: $language)\n              }\n            }\n          }\n          dropOffPointsNear(\n            latitude: $latitude\n            longitude: $longitude\n            radiusMeters: 50000\n            first: 5\n          ) {\n            distanceMeters\n            point {\n              id\n              name\n              address\n              kind\n              isOpenNow\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query AnalysisResult($id: ID!, $language: Language, $latitude: Float!, $longitude: Float!) {\n    analysis(id: $id) {\n      id\n      status\n      pointsAwarded\n      error {\n        code\n        message\n      }\n      result {\n        itemName\n        confidence\n        cached\n        category {\n          code\n          name(language: $language)\n          guide {\n            steps(language: $language)\n            notAccepted {\n              name(language: $language)\n              goesTo {\n                code\n                name(language: $language)\n              }\n            }\n          }\n          dropOffPointsNear(\n            latitude: $latitude\n            longitude: $longitude\n            radiusMeters: 50000\n            first: 5\n          ) {\n            distanceMeters\n            point {\n              id\n              name\n              address\n              kind\n              isOpenNow\n            }\n          }\n        }\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;